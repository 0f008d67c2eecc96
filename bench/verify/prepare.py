"""Builds the data `npm run bench:verify` reads (see docs/commands/verify.md, "Agreement with the official
evaluators") from public repositories already fetched to disk. Usage:

  python3 bench/verify/prepare.py OUT --intercode DIR --test-suite DIR --c3sql DIR --fireact DIR --react DIR [--hotpot-extra DIR]

OUT/spider/database/<db>/<db>.sqlite  Spider dev databases, rebuilt from InterCode's MySQL dump of them
OUT/spider/pairs.jsonl                {id, db, gold, pred, source}: real predictions on Spider dev
OUT/hotpot/pairs.jsonl                {id, gold, pred, source}: real HotpotQA predictions and golds
"""
import argparse, glob, json, os, re, sqlite3

def mysql_values(text):
    """The tuples of a MySQL `VALUES (...),(...)` list: numbers, NULL and '...' strings with backslash escapes."""
    rows, row, i, n = [], None, 0, len(text)
    escapes = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "Z": "\x1a", "b": "\b"}
    while i < n:
        c = text[i]
        if c == "(" and row is None: row = []; i += 1
        elif c == ")" and row is not None: rows.append(tuple(row)); row = None; i += 1
        elif c == "'":
            i += 1; out = []
            while text[i] != "'" or text[i + 1:i + 2] == "'":
                if text[i] == "\\": out.append(escapes.get(text[i + 1], text[i + 1])); i += 2
                elif text[i] == "'": out.append("'"); i += 2
                else: out.append(text[i]); i += 1
            row.append("".join(out)); i += 1
        elif row is not None and (c.isdigit() or c in "-."):
            m = re.match(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", text[i:])
            row.append(float(m.group(0)) if m.group(1) or m.group(2) else int(m.group(0))); i += len(m.group(0))
        elif row is not None and text.startswith("NULL", i): row.append(None); i += 4
        else: i += 1
    return rows

def sqlite_type(mysql):
    t = mysql.lower()
    if re.match(r"(tiny|small|medium|big)?int", t): return "INTEGER"
    if re.match(r"(double|float|decimal|real|numeric)", t): return "REAL"
    return "TEXT"

def build_databases(dump, out):
    text = open(dump, encoding="utf-8").read()
    made = []
    for block in re.split(r"\nUSE `", text)[1:]:
        name = block[:block.index("`")]
        path = os.path.join(out, name, name + ".sqlite")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.exists(path): os.remove(path)
        db = sqlite3.connect(path)
        for table, body in re.findall(r"CREATE TABLE `([^`]+)` \((.*?)\n\) ENGINE", block, re.S):
            columns, keys = [], []
            for line in body.strip().split("\n"):
                line = line.strip().rstrip(",")
                col = re.match(r"`([^`]+)` (\S+)", line)
                if col: columns.append(f'"{col.group(1)}" {sqlite_type(col.group(2))}')
                elif line.startswith("PRIMARY KEY"): keys.append("PRIMARY KEY (" + ", ".join(f'"{c}"' for c in re.findall(r"`([^`]+)`", line)) + ")")
            db.execute(f'CREATE TABLE "{table}" ({", ".join(columns + keys)})')
        for table, values in re.findall(r"INSERT INTO `([^`]+)` VALUES (.*?);\n", block, re.S):
            rows = mysql_values(values)
            if rows: db.executemany(f'INSERT INTO "{table}" VALUES ({",".join("?" * len(rows[0]))})', rows)
        db.commit(); db.close(); made.append(name)
    return made

def spider_pairs(args, dbs):
    pairs = []
    dev = json.load(open(os.path.join(args.intercode, "data/sql/spider/ic_spider_dev.json")))
    for path in sorted(glob.glob(os.path.join(args.intercode, "data/results/sql/*/*.json"))):
        for key, run in json.load(open(path)).items():
            if "turn_history" not in run: continue
            actions = [a for a in run["turn_history"]["actions"] if a.strip().lower().startswith(("select", "with"))]
            if not actions: continue
            task = dev[run["task_id"]]
            pairs.append({"db": task["db"], "gold": task["gold"], "pred": actions[-1].strip(), "source": "intercode:" + os.path.relpath(path, args.intercode)})
    gold = open(os.path.join(args.test_suite, "evaluation_examples/gold.txt")).read().strip().split("\n")
    pred = open(os.path.join(args.test_suite, "evaluation_examples/predict.txt")).read().strip().split("\n")
    for g, p in zip(gold, pred):
        if "\t" not in g: continue  # blank lines separate interactions in both files
        sql, db = g.rsplit("\t", 1)
        pairs.append({"db": db, "gold": sql, "pred": p, "source": "test-suite-sql-eval:evaluation_examples/predict.txt"})
    c3gold = open(os.path.join(args.c3sql, "data/spider/dev_gold.sql")).read().strip().split("\n")
    for name in ("predicted_sql.txt", "prediction_falcon.txt", "prediction_llama.txt"):
        for g, p in zip(c3gold, open(os.path.join(args.c3sql, name)).read().strip().split("\n")):
            sql, db = g.rsplit("\t", 1)
            pairs.append({"db": db, "gold": sql, "pred": p.strip(), "source": "C3SQL:" + name})
    seen, unique = set(), []
    for p in pairs:
        key = (p["db"], p["gold"], p["pred"])
        if p["db"] in dbs and key not in seen and p["pred"]:
            seen.add(key); unique.append(p)
    return unique

def hotpot_pairs(args):
    dev = json.load(open(os.path.join(args.react, "data/hotpot_dev_v1_simplified.json")))
    pairs = []
    for path in sorted(glob.glob(os.path.join(args.fireact, "trajs/*.json"))):
        for key, run in json.load(open(path)).items():
            traj = run["traj"] if isinstance(run["traj"], str) else "\n".join(m["content"] for m in run["traj"])
            found = re.findall(r"[Ff]inish\[(.*?)\]\s*(?:\n|$)", traj)
            if found: pairs.append({"gold": dev[int(key)]["answer"], "pred": found[-1], "source": "FireAct:" + os.path.relpath(path, args.fireact)})
    if args.hotpot_extra:
        for path in sorted(glob.glob(os.path.join(args.hotpot_extra, "outputs/ablation/*/all_per_question.json"))):
            for method, rows in json.load(open(path)).items():
                for r in rows:
                    if r.get("predicted_answer") is not None: pairs.append({"gold": r["gold_answer"], "pred": r["predicted_answer"], "source": "hotpotqa-ablation:" + method})
    return pairs

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    for name in ("intercode", "test-suite", "c3sql", "fireact", "react"): ap.add_argument("--" + name, required=True)
    ap.add_argument("--hotpot-extra")
    args = ap.parse_args()
    dbs = build_databases(os.path.join(args.intercode, "data/sql/spider/ic_spider_dbs.sql"), os.path.join(args.out, "spider/database"))
    for kind, pairs in (("spider", spider_pairs(args, set(dbs))), ("hotpot", hotpot_pairs(args))):
        os.makedirs(os.path.join(args.out, kind), exist_ok=True)
        with open(os.path.join(args.out, kind, "pairs.jsonl"), "w") as f:
            for i, p in enumerate(pairs): f.write(json.dumps({"id": f"{kind}-{i}", **p}, ensure_ascii=False) + "\n")
        print(kind, len(pairs), "pairs")
    print("databases:", ", ".join(sorted(dbs)))

main()
