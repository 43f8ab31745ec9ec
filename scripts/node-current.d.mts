/** The version of the current Node the tests run servers on beside the machine's. */
export const NODE_CURRENT_VERSION: string;
/** The path of the current Node's executable, or undefined when it is not unpacked yet. */
export function nodeCurrent(): string | undefined;
/** Unpacks the current Node when it is missing (Linux x64); returns its executable. */
export function ensureNodeCurrent(): string;
