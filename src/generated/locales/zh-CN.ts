
    // Do not modify this file by hand!
    // Re-generate this file by running lit-localize

    
    

    /* eslint-disable no-irregular-whitespace */
    /* eslint-disable @typescript-eslint/no-explicit-any */

    export const templates = {
      'sae1c7f13b7c0c47f': `开始`,
'sf5334c231b2e9040': `Random numbers`,
's7a12cbec91dd87a6': `Masked attention`,
's3711ec82b3eff2a4': `Diffusion`,
's5042fcb2068d64a1': `BatchNorm`,
's7b6c5a79688b5bce': `Recommendation`,
'sa6d63ff474ed0ca3': `unknown error`,
's8236d4b4a7124305': `Labs`,
's560a6a9abd105492': `Compute backend`,
's23c9f3d826e8abef': `Backend`,
'sa3d074ae32bd84b0': `GPU (WebGPU)`,
's89d27b8c716c01b0': `CPU reference`,
'saab875d8cfcfe712': `Theme`,
'sefcf950b3cc4fc3b': `Language`,
'se3b4c857f91f80d7': `Keyboard shortcuts`,
's43081057757dc873': `Keyboard shortcuts (?)`,
's0bdca49248ba4820': `Shortcuts`,
's0b453a19aa0f85a9': `CPU`,
's1cf4b4a3ed28ad8f': `Starting WebGPU…`,
'sac92add2bcf40c75': `GPU lost`,
's437303afa7833a5e': `Reconnecting GPU…`,
'se054c1507efaa4e1': `CPU (no WebGPU)`,
's1f71d5a9cecc1b0f': `light`,
's85615b6730a7bfe5': `dark`,
'sbfb559c71c56b4fc': `system`,
    };
  