/**
 * The one place that requests a WebGPU adapter and device. Records what the adapter is (so every view can
 * say what computed it), routes validation / out-of-memory / internal errors and device loss to listeners,
 * and never touches the DOM: the same code runs in Node on the `webgpu` package (Dawn).
 */
import { msg, str } from '@lit/localize';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for software / fallback adapters (SwiftShader, WARP): slower than plain JavaScript. */
  isFallback: boolean;
  features: string[];
  limits: Record<string, number>;
}

type GpuErrorKind = 'validation' | 'out-of-memory' | 'internal' | 'device-lost' | 'unavailable';

export class GpuError extends Error {
  constructor(
    readonly kind: GpuErrorKind,
    message: string,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'GpuError';
  }
}

export interface GpuContext {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  readonly info: AdapterSummary;
  /** Called for errors nobody captured in a scope, and when the device is lost. */
  onError(listener: (error: GpuError) => void): () => void;
  /** Resolves when the device is lost (destroy() included). */
  readonly lost: Promise<GpuError>;
  readonly isLost: () => boolean;
  destroy(): void;
}

const LIMIT_NAMES = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxTextureDimension2D',
] as const;

function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) limits[name] = Number(adapter.limits[name]);
  const architecture = info?.architecture ?? '';
  const fallback =
    // `isFallbackAdapter` moved from GPUAdapter to GPUAdapterInfo; read both.
    Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter) ||
    Boolean((adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter) ||
    /swiftshader|llvmpipe|lavapipe|warp/i.test(`${architecture} ${info?.description ?? ''}`);
  return {
    vendor: info?.vendor ?? '',
    architecture,
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallback: fallback,
    features: [...adapter.features].map(String).sort(),
    limits,
  };
}

/** The fields of an adapter that name it (kept by the labs to name it again at render time). */
export type AdapterIdentity = Pick<
  AdapterSummary,
  'vendor' | 'architecture' | 'device' | 'description' | 'isFallback'
>;

/** Only the naming fields of an adapter summary (a result carries these, not the limits). */
export function adapterIdentity(info: AdapterIdentity): AdapterIdentity {
  const { vendor, architecture, device, description, isFallback } = info;
  return { vendor, architecture, device, description, isFallback };
}

/** The fixed words around the adapter's own ones in its name: English, or the interface language's. */
interface NameWords {
  device: (id: string) => string;
  unnamed: () => string;
  software: (name: string) => string;
}

/**
 * A short human name for the adapter: vendor and architecture, then the device where the adapter names it
 * ("nvidia hopper — nvidia-h200", "… — NVIDIA H100 80GB HBM3"), so that two chips of one architecture differ;
 * "google swiftshader (software adapter)" for SwiftShader.
 * Always English: exported files record it (the export formats do not follow the interface language).
 */
export function adapterName(info: AdapterIdentity): string {
  return composeName(info, {
    device: (id) => `device ${id}`,
    unnamed: () => 'WebGPU adapter',
    software: (name) => `${name} (software adapter)`,
  });
}

/**
 * adapterName with its own words ("device", "software adapter") in the interface language; the adapter's
 * words stay as it reports them. For a lab's badge and prose, called at render time.
 */
export function localAdapterName(info: AdapterIdentity): string {
  return composeName(info, {
    device: (id) => msg(str`device ${id}`),
    unnamed: () => msg('WebGPU adapter'),
    software: (name) => msg(str`${name} (software adapter)`),
  });
}

function composeName(info: AdapterIdentity, words: NameWords): string {
  const base = [info.vendor, info.architecture].filter(Boolean).join(' ');
  const arch = info.architecture.toLowerCase();
  const text = (s: string) => s.trim().replace(/\s+/g, ' ');
  // A product name: not a bare PCI id, not a driver version ("NVIDIA: 570.86", "SwiftShader driver 5.0.0"),
  // and not a restatement of the architecture (Dawn's SwiftShader device is "swiftshader-device-subzero-").
  const isId = (s: string) => /^(0x[0-9a-f]+|\d+)$/i.test(s);
  const named = [info.device, info.description]
    .map(text)
    .find(
      (s) =>
        s !== '' &&
        !isId(s) &&
        !/\bdriver\b|^[^:]*:\s*[\d.]+(\s|$)/i.test(s) &&
        !(arch !== '' && s.toLowerCase().includes(arch)),
    );
  // A bare PCI id only when nothing else names the adapter (Chromium's SwiftShader: "0xc0de" beside
  // "SwiftShader Device (Subzero)").
  const id = text(info.device);
  const restated = arch !== '' && `${info.device} ${info.description}`.toLowerCase().includes(arch);
  const detail = named ?? (isId(id) && id !== '' && !restated ? words.device(id) : '');
  const name =
    [base, detail].filter(Boolean).join(' — ') ||
    text(info.description) ||
    text(info.device) ||
    words.unnamed();
  return info.isFallback ? words.software(name) : name;
}

/** A shorter adapterName in the interface language, for the header's badge and the banners. */
export function adapterDisplayName(info: AdapterSummary): string {
  const base = [info.vendor, info.architecture || info.device || info.description].filter(Boolean).join(' ');
  const name = base || msg('WebGPU adapter');
  return info.isFallback ? msg(str`${name} (software adapter)`) : name;
}

interface RequestGpuOptions {
  /** navigator.gpu in the browser (the UI passes it in), or `create([])` from the `webgpu` package in Node. */
  gpu: GPU | undefined;
  powerPreference?: GPUPowerPreference;
  label?: string;
}

/** Requests adapter and device, raising limits the labs need up to what the adapter allows. */
export async function requestGpu(options: RequestGpuOptions): Promise<GpuContext> {
  const gpu = options.gpu;
  if (!gpu) {
    throw new GpuError(
      'unavailable',
      msg('WebGPU is not available in this browser.'),
      msg(
        'Use a recent Chrome or Edge (113+), Safari 26+, or Firefox 141+ on Windows; on Linux start Chrome with --enable-unsafe-webgpu.',
      ),
    );
  }
  const adapter = await gpu.requestAdapter({
    powerPreference: options.powerPreference ?? 'high-performance',
  });
  if (!adapter) {
    throw new GpuError(
      'unavailable',
      msg('WebGPU is present but no GPU adapter was found.'),
      msg(
        'The GPU may be blocklisted; try chrome://gpu, update drivers, or start Chromium with --enable-unsafe-webgpu.',
      ),
    );
  }
  const info = summarizeAdapter(adapter);
  const requiredLimits: Record<string, number> = {};
  for (const name of [
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX',
    'maxStorageBuffersPerShaderStage',
  ] as const) {
    requiredLimits[name] = Number(adapter.limits[name]);
  }
  const wanted: GPUFeatureName[] = ['timestamp-query'];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({
    label: options.label ?? 'kernelscope',
    requiredLimits,
    requiredFeatures,
  });

  const listeners = new Set<(error: GpuError) => void>();
  let lostFlag = false;
  let releasing = false;
  const emit = (error: GpuError) => {
    for (const l of listeners) l(error);
  };
  device.addEventListener('uncapturederror', (event) => {
    emit(toGpuError((event as GPUUncapturedErrorEvent).error));
  });
  const lost = device.lost.then((info) => {
    lostFlag = true;
    const error = new GpuError(
      'device-lost',
      releasing ? msg('The GPU device was released.') : msg('The GPU device was lost.'),
      info.message || String(info.reason),
    );
    // Only our own destroy() is a release; any other loss (driver reset, a destroy() elsewhere) is reported.
    if (!releasing) emit(error);
    return error;
  });

  return {
    adapter,
    device,
    info,
    lost,
    isLost: () => lostFlag,
    onError(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    destroy() {
      releasing = true;
      device.destroy();
    },
  };
}

function toGpuError(error: GPUError): GpuError {
  const name = error.constructor?.name ?? '';
  if (name.includes('OutOfMemory')) {
    return new GpuError('out-of-memory', msg('The GPU ran out of memory.'), error.message);
  }
  if (name.includes('Internal'))
    return new GpuError('internal', msg('The GPU reported an internal error.'), error.message);
  return new GpuError('validation', msg('A GPU command was invalid.'), error.message);
}

/**
 * Runs `fn` inside validation, out-of-memory and internal error scopes and throws the first error as a
 * readable GpuError, so a bad size never becomes a silently blank chart.
 */
export async function withErrorScopes<T>(
  device: GPUDevice,
  what: string,
  fn: () => T | Promise<T>,
): Promise<T> {
  device.pushErrorScope('internal');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = await fn();
  } finally {
    const errors = await Promise.all([
      device.popErrorScope(),
      device.popErrorScope(),
      device.popErrorScope(),
    ]);
    const first = errors.find((e): e is GPUError => e !== null);
    if (first) {
      const err = toGpuError(first);
      // eslint-disable-next-line no-unsafe-finally
      throw new GpuError(err.kind, msg(str`${what}: ${err.message}`), err.details);
    }
  }
  return result;
}
