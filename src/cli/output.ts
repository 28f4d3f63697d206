/** Where command output goes by default: stdout, one line per call. Errors go through main.ts. */
export const stdoutLines = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
