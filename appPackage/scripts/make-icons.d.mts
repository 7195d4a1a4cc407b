/** Types for make-icons.mjs, so the tests can compare the committed icons with their drawing. */
export interface IconSpec {
  file: string;
  sizePx: number;
  background?: number[];
  ink: number[];
  margin: number;
  stroke: number;
}
export declare const ICONS: IconSpec[];
export declare function renderIcon(icon: IconSpec): Buffer;
