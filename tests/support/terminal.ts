/**
 * Terminal output as a person reads it: the text without its ANSI control sequences.
 *
 * @module
 */

const ESC = String.fromCharCode(27);
/** CSI sequences: ESC [ parameters, then a final letter (cursor moves, erases, modes). */
const CONTROL_SEQUENCE = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, "g");

export function stripAnsi(text: string): string {
  return text.replace(CONTROL_SEQUENCE, "");
}
