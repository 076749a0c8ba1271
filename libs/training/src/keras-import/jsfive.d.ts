/** The part of jsfive (a pure-JS HDF5 reader, no typings of its own) that keras-import uses. */
declare module 'jsfive' {
  export class Group {
    readonly name: string;
    /** Names of the members, sorted. */
    readonly keys: string[];
    readonly attrs: Record<string, unknown>;
    /** A member by path relative to this group ("a/b/c"); throws when absent. */
    get(path: string): Group | Dataset;
  }
  export class File extends Group {
    constructor(buffer: ArrayBuffer, filename?: string);
  }
  export class Dataset {
    readonly name: string;
    readonly shape: number[];
    /** numpy-style, e.g. "<f4". */
    readonly dtype: unknown;
    readonly value: ArrayLike<number>;
  }
}
