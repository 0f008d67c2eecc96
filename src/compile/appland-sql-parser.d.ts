/** @appland/sql-parser ships no types: it parses SQLite SQL into a JSON AST, or throws a SyntaxError. */
declare module "@appland/sql-parser" {
  export default function parse(sql: string): unknown;
}
