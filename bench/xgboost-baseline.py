#!/usr/bin/env python3
"""XGBoost baseline for bench/model-bench.ts.

Trains XGBoost's `hist` method on the CSV the Node benchmark wrote, with the parameters it
passes (the same as Bulwark's learner), once per thread count asked for, and prints one
JSON object: the training wall time of each (training only: loading the CSV and building
the DMatrix are timed apart), the training log-loss and holdout AUC of the first, and
single-threaded batch prediction speed on the holdout rows.

Usage: /usr/bin/python3 bench/xgboost-baseline.py TRAIN.csv HOLDOUT.csv PARAMS.json
The CSVs have a header row; the first column is the 0/1 label; `nan` is a missing value.
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb


def load(path):
    """Reads a numeric CSV fast: numpy's C parser over the whole text at once."""
    with open(path, encoding="ascii") as f:
        header = f.readline().strip().split(",")
        values = np.fromstring(f.read().replace("\n", ","), sep=",")
    values = values.reshape(-1, len(header))
    return values[:, 1:], values[:, 0]


def auc(scores, labels):
    """Area under the ROC curve by the rank statistic, ties counted half."""
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i : j + 1] = (i + j) / 2 + 1
        i = j + 1
    y = labels[order]
    pos = y.sum()
    neg = len(y) - pos
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def main():
    train_path, holdout_path, params_path = sys.argv[1:4]
    with open(params_path, encoding="utf-8") as f:
        p = json.load(f)

    t0 = time.perf_counter()
    x, y = load(train_path)
    xh, yh = load(holdout_path)
    load_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    threads = p["nthreads"]
    dtrain = xgb.DMatrix(x, label=y, missing=np.nan, nthread=threads[0])
    dmatrix_seconds = time.perf_counter() - t0

    params = {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "max_depth": p["maxDepth"],
        "eta": p["learningRate"],
        "lambda": p["lambda"],
        "gamma": p["gamma"],
        "min_child_weight": p["minChildWeight"],
        "max_bin": p["maxBin"],
        "subsample": 1,
        "colsample_bytree": 1,
        "base_score": p["baseScore"],
        "seed": 0,
        "verbosity": 0,
    }
    train_seconds = {}
    booster = None
    for n in threads:
        t0 = time.perf_counter()
        trained = xgb.train({**params, "nthread": n}, dtrain, num_boost_round=p["trees"])
        train_seconds[str(n)] = time.perf_counter() - t0
        booster = booster or trained

    pt = np.clip(booster.predict(dtrain), 1e-15, 1 - 1e-15)
    train_log_loss = float(-np.mean(y * np.log(pt) + (1 - y) * np.log(1 - pt)))

    # Prediction on one thread, as Bulwark's is measured.
    booster.set_param({"nthread": 1})
    booster.inplace_predict(xh[:1000])
    t0 = time.perf_counter()
    ph = booster.inplace_predict(xh)
    predict_seconds = time.perf_counter() - t0

    print(
        json.dumps(
            {
                "xgboostVersion": xgb.__version__,
                "loadSeconds": load_seconds,
                "dmatrixSeconds": dmatrix_seconds,
                "trainSeconds": train_seconds,
                "trainLogLoss": train_log_loss,
                "holdoutAuc": auc(np.asarray(ph, dtype=np.float64), yh),
                "predictRowsPerS": len(yh) / predict_seconds,
                "nodes": int(sum(len(t.split("\n")) - 1 for t in booster.get_dump())),
            }
        )
    )


if __name__ == "__main__":
    main()
