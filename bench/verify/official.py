"""Scores pairs with the official evaluators, imported from where they were fetched (nothing of theirs is
copied here): the Spider test-suite evaluator's execution match (exec_eval.eval_exec_match, DISTINCT
kept, no value plugging) and HotpotQA's answer EM / F1 (hotpot_evaluate_v1). Usage:

  python3 official.py spider EVAL_DIR DB_DIR < pairs.jsonl   -> {"id", "official": 0 | 1 | "gold-error"}
  python3 official.py hotpot EVAL_FILE < pairs.jsonl         -> {"id", "em", "f1"}
"""
import importlib.util, json, os, sys

def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

kind = sys.argv[1]
if kind == "spider":
    sys.path.insert(0, sys.argv[2])
    exec_eval = load(os.path.join(sys.argv[2], "exec_eval.py"), "exec_eval")
    for line in sys.stdin:
        pair = json.loads(line)
        db = os.path.join(sys.argv[3], pair["db"], pair["db"] + ".sqlite")
        try:
            score = exec_eval.eval_exec_match(db=db, p_str=pair["pred"], g_str=pair["gold"], plug_value=False, keep_distinct=True, progress_bar_for_each_datapoint=False)
        except AssertionError:
            score = "gold-error"
        print(json.dumps({"id": pair["id"], "official": score}), flush=True)
else:
    hotpot = load(sys.argv[2], "hotpot_evaluate_v1")
    for line in sys.stdin:
        pair = json.loads(line)
        f1, _, _ = hotpot.f1_score(pair["pred"], pair["gold"])
        print(json.dumps({"id": pair["id"], "em": int(hotpot.exact_match_score(pair["pred"], pair["gold"])), "f1": f1}))
