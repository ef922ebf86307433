import { type DuckDBConnection, LIST, listValue, VARCHAR } from './native';
import { exactPath, fileListVariable, readBranches, type ViewBranch } from './view';

/**
 * Hands DuckDB the file lists of a view's read_json calls as connection variables (`SET VARIABLE`, bound as one
 * VARCHAR[] parameter each) for a view built with `fileLists: 'variables'`, instead of as literals in its SQL text.
 *
 * Why: thousands of literals are expensive to parse and bind. Measured on DuckDB 1.5 with the 30-day bench question
 * (8,582 paths, 1.5 MB of view SQL): creating the view cost ~60 MiB of resident memory and preparing the question
 * over it ~50 MiB more (a bare `SELECT len([…the paths…])` cost the same ~60 MiB). The memory is freed afterwards but
 * glibc keeps it in the malloc arena of the thread that used it, so the process peak depended on which arenas the
 * threads doing the two steps used. With the lists in variables the view is ~9 KB of SQL and the same question
 * peaked ~60 MiB lower, with the same rows and time. A variable belongs to its connection, as the view does (DuckDB
 * docs, "SET VARIABLE": https://duckdb.org/docs/stable/sql/statements/set_variable).
 */
export async function setFileLists(connection: DuckDBConnection, branches: readonly ViewBranch[]): Promise<number> {
  const lists = readBranches(branches).map((b) => b.files.map((f) => exactPath(f.path)));
  for (const [index, paths] of lists.entries()) {
    // The name is ours (an index), never user text; the paths are a bound parameter.
    await connection.run(`SET VARIABLE ${fileListVariable(index)} = $1`, [listValue(paths)], [LIST(VARCHAR)]);
  }
  return lists.length;
}

/**
 * Drops the first `count` lists (the most `setFileLists` said it set for this question) once the question's result
 * is spooled: the view is not read again (pages come from the result table), and a pooled connection should not keep
 * a 30-day question's ~1.5 MB of paths until its next question. A question answered from cached days alone set none
 * and costs nothing here.
 */
export async function clearFileLists(connection: DuckDBConnection, count: number): Promise<void> {
  for (let index = 0; index < count; index++) await connection.run(`RESET VARIABLE ${fileListVariable(index)}`);
}
