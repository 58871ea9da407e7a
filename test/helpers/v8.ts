/** Reading what V8 prints about itself (flags such as --trace-opt) in tests. */

/** What V8 printed with --trace-opt about finished optimizations: one line per function compiled. */
export function optimizations(output: string): string[] {
  return output.split('\n').filter((line) => line.startsWith('[completed compiling'));
}
