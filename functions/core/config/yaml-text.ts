/**
 * Decoding YAML text (JSON included, being YAML too) as eksctl's decoder would, with the
 * guards untrusted input needs.
 */
import { LineCounter, parseDocument } from 'yaml';

/** Alias expansions allowed while building the data; real eksctl files use a handful. */
export const MAX_YAML_ALIASES = 100;

export type DecodedYaml = { value: unknown } | { problems: string[] };

/** Whether a decoded value is a YAML mapping (a JSON object). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeSyntaxProblem(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') {
    return 'the file holds more than one YAML document; give one ClusterConfig per file';
  }
  if (message.includes('Maximum call stack size exceeded')) {
    return 'lists or mappings are nested too deeply to read';
  }
  return message;
}

/** The data of a YAML document, or one message per reason it cannot be read. */
export function decodeYaml(text: string): DecodedYaml {
  const lineCounter = new LineCounter();
  // prettyErrors stays off: its context snippet is built with a regular expression that
  // exhausts memory on deeply nested input. Positions come from the line counter instead.
  const document = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    // eksctl's YAML decoder supports `<<` merge keys, and eksctl files use them.
    merge: true,
  });
  const problems = [...document.errors, ...document.warnings];
  if (problems.length > 0) {
    return {
      problems: problems.map((problem) => {
        const { line, col } = lineCounter.linePos(problem.pos[0]);
        const message = describeSyntaxProblem(problem.code, problem.message);
        return `YAML syntax error at line ${line}, column ${col}: ${message}`;
      }),
    };
  }
  try {
    return { value: document.toJS({ maxAliasCount: MAX_YAML_ALIASES }) };
  } catch (error) {
    // Aliases are resolved only here: the yaml package reports both an alias without an
    // anchor and too many expansions by throwing a ReferenceError.
    if (!(error instanceof ReferenceError)) throw error;
    if (!error.message.startsWith('Excessive alias count')) {
      return { problems: [`YAML error: ${error.message}`] };
    }
    return {
      problems: [
        `the file expands YAML aliases (*name) more than ${MAX_YAML_ALIASES} times; such files are refused because aliases can blow up into a huge document ("billion laughs"), so write the repeated parts out instead`,
      ],
    };
  }
}
