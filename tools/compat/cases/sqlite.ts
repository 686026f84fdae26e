import type { CompatCase } from '../src/case.js';

const tenThousandRows =
  'CREATE TABLE t(x INTEGER); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000) INSERT INTO t SELECT x FROM c; SELECT count(*), sum(x), sum(x % 7), max(x) FROM t;';

/** The sqlite3 shell. */
export const sqliteCases: CompatCase[] = [
  {
    name: 'sqlite/recursive-cte-memory',
    argv: ['sqlite3', ':memory:', tenThousandRows],
    packages: ['sqlite3'],
  },
  {
    name: 'sqlite/recursive-cte-file',
    // An on-disk database: a journal file, fsync and file locks in the work directory.
    argv: ['sqlite3', 'test.db', tenThousandRows + ' CREATE INDEX t_x ON t(x); SELECT x FROM t WHERE x BETWEEN 4998 AND 5001; PRAGMA integrity_check;'],
    packages: ['sqlite3'],
  },
  {
    name: 'sqlite/stdin-script',
    argv: ['sqlite3', '-batch', '-header', '-column'],
    stdin:
      "CREATE TABLE fruit(name TEXT, price REAL);\nINSERT INTO fruit VALUES ('pear', 0.5), ('apple', 0.25), ('fig', 1.75);\nSELECT name, price, printf('%.2f', price * 3) AS three FROM fruit ORDER BY price;\n.mode csv\nSELECT group_concat(name, '|') FROM fruit;\n",
    packages: ['sqlite3'],
  },
];
