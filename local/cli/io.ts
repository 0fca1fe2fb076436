/** Where the CLI writes: the process's streams, or a test's buffers. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Standard error is a terminal: progress draws a bar in place instead of printing lines. */
  errIsTTY?: boolean;
  /** The user gave the workflow's input itself (`run`): messages name its fields, not flags. */
  inputFields?: boolean;
}
