/** Absolute path of the virtualenv's python (with `websockets` installed once `ensurePython` ran). */
export declare const python: string
export declare const venv: string
/** Create .venv-py with the pinned `websockets` if it is missing; returns the python path. */
export declare function ensurePython(): string
