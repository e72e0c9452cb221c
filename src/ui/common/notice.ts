/**
 * A notice a session keeps beside its result: a function is called when the notice is drawn, so that it
 * follows a language switch; a plain string was worded when it was set.
 */
export type Notice = string | (() => string);

export const noticeText = (n: Notice): string => (typeof n === 'function' ? n() : n);
