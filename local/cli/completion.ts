/**
 * `eks-pia completion bash|zsh|fish`: a completion script generated from the command tree, so
 * it never drifts from the commands and flags the CLI has. Completion is static (no process is
 * started per Tab): commands, subcommands, flags and the values of flags with fixed choices.
 */
import type { Command, Option } from 'commander';

export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

interface CommandNode {
  /** Words from the program to this command, e.g. `create podidentityassociation`. */
  path: string[];
  subcommands: string[];
  flags: string[];
}

function flagsOf(options: readonly Option[]): string[] {
  return options
    .flatMap((option) => [option.long, option.short])
    .filter((flag): flag is string => flag !== undefined);
}

function nodes(program: Command): CommandNode[] {
  const globalFlags = [...flagsOf(program.options), '--help'];
  const out: CommandNode[] = [];
  const visit = (command: Command, path: string[]) => {
    out.push({
      path,
      subcommands: command.commands.flatMap((sub) => [sub.name(), ...sub.aliases()]),
      flags: [...new Set([...flagsOf(command.options), ...globalFlags])],
    });
    for (const sub of command.commands) {
      for (const name of [sub.name(), ...sub.aliases()]) visit(sub, [...path, name]);
    }
  };
  visit(program, []);
  return out;
}

/** Flags whose values are a fixed list (`--engine local|remote`, `-o table|json|yaml`). */
function choices(program: Command): Map<string, readonly string[]> {
  const found = new Map<string, readonly string[]>();
  const visit = (command: Command) => {
    for (const option of command.options) {
      const values = (option as Option & { argChoices?: readonly string[] }).argChoices;
      if (values && option.long) found.set(option.long, values);
      if (values && option.short) found.set(option.short, values);
    }
    for (const sub of command.commands) visit(sub);
  };
  visit(program);
  return found;
}

export function completionScript(program: Command, shell: CompletionShell): string {
  return shell === 'fish' ? fishScript(program) : bashScript(program, shell);
}

function bashScript(program: Command, shell: 'bash' | 'zsh'): string {
  const name = program.name();
  const fn = `_${name.replace(/[^A-Za-z0-9]/g, '_')}_complete`;
  const cases = nodes(program)
    .map(
      (node) =>
        `    "${node.path.join(' ')}") words="${[...node.subcommands, ...node.flags].join(' ')}" ;;`,
    )
    .join('\n');
  const valueCases = [...choices(program)]
    .map(
      ([flag, values]) =>
        `    ${flag}) COMPREPLY=($(compgen -W "${values.join(' ')}" -- "$cur")); return ;;`,
    )
    .join('\n');
  const header =
    shell === 'zsh'
      ? `# eks-pia completion for zsh: eval "$(eks-pia completion zsh)" in ~/.zshrc\nautoload -U +X bashcompinit && bashcompinit\n`
      : `# eks-pia completion for bash: eval "$(eks-pia completion bash)" in ~/.bashrc\n`;
  return `${header}${fn}() {
  local cur prev path="" word words i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
${valueCases}
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    # A word that names a subcommand of the path so far extends it; flags and values do not.
    if [[ "$word" != -* && -n "$(${fn}_words "\${path:+$path }$word")" ]]; then
      path="\${path:+$path }$word"
    fi
  done
  words="$(${fn}_words "$path")"
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  [[ \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- "$cur"))
  return 0
}
${fn}_words() {
  local words=""
  case "$1" in
${cases}
  esac
  echo "$words"
}
complete -F ${fn} ${name}
`;
}

function fishScript(program: Command): string {
  const name = program.name();
  const lines = [
    `# eks-pia completion for fish: eks-pia completion fish > ~/.config/fish/completions/${name}.fish`,
  ];
  const values = choices(program);
  for (const node of nodes(program)) {
    const condition =
      node.path.length === 0
        ? '__fish_use_subcommand'
        : `__fish_seen_subcommand_from ${node.path.at(-1)}`;
    for (const sub of node.subcommands) {
      lines.push(`complete -c ${name} -f -n '${condition}' -a '${sub}'`);
    }
    for (const flag of node.flags) {
      const long = flag.startsWith('--');
      const argument = values.get(flag);
      lines.push(
        `complete -c ${name} -n '${condition}' ${long ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`}${argument ? ` -x -a '${argument.join(' ')}'` : ''}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
