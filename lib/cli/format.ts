// Text output for the command line: trees drawn with box characters, aligned tables, colour.

type Style = 'pid' | 'name' | 'zombie'

const STYLES: Record<Style, [string, string]> = {
  pid: ['\x1b[36m', '\x1b[39m'],
  name: ['\x1b[1m', '\x1b[22m'],
  zombie: ['\x1b[2m', '\x1b[22m'],
}

/** Colour only on a terminal, and never when NO_COLOR is set (no-color.org). */
export function shouldColour(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false
  return stream.isTTY === true && process.env.TERM !== 'dumb'
}

export function paint(text: string, style: Style, colour: boolean): string {
  if (!colour) return text
  const [open, close] = STYLES[style]
  return open + text + close
}

/** Replaces control characters (a comm can hold a newline or an escape) with '?'. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, '?')
}

/** Draws a tree like pstree: one line per node, "├─ " and "└─ " before each child. */
export function drawTree<N>(root: N, children: (node: N) => N[], label: (node: N) => string): string[] {
  const lines = [label(root)]
  // An explicit stack instead of recursion: a deep tree must not exhaust the JS stack.
  const stack: { node: N; prefix: string; last: boolean }[] = []
  const pushChildren = (node: N, prefix: string) => {
    const kids = children(node)
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ node: kids[i]!, prefix, last: i === kids.length - 1 })
  }
  pushChildren(root, '')
  while (stack.length > 0) {
    const { node, prefix, last } = stack.pop()!
    lines.push(prefix + (last ? '└─ ' : '├─ ') + label(node))
    pushChildren(node, prefix + (last ? '   ' : '│  '))
  }
  return lines
}

/** Aligns rows under headers; `right[i]` right-aligns column i. The last column is not padded. */
export function formatTable(headers: string[], rows: string[][], right: boolean[]): string {
  const clean = rows.map((row) => row.map(printable))
  const widths = headers.map((h, i) => Math.max(h.length, ...clean.map((row) => row[i]!.length)))
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : right[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ')
  return [line(headers), ...clean.map(line)].join('\n')
}
