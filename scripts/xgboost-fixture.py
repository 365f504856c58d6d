#!/usr/bin/python3
# Builds the XGBoost parity fixture used by test/risk/model/xgboost.test.ts.
#
# Regenerate with the system interpreter, which has XGBoost 1.7.4 installed (the pyenv
# `python3` on PATH does not):
#
#     /usr/bin/python3 scripts/xgboost-fixture.py
#
# It writes two files:
#   test/fixtures/xgboost/model.json  the booster exactly as `Booster.save_model` writes it;
#   test/fixtures/xgboost/rows.json   about 50 rows (NaN written as null) with the margin and
#                                     the probability XGBoost itself predicted for each.
#
# Both files are then passed through `npx biome format --write`, because the repository's lint
# (`biome check .`) covers fixtures too. Biome only changes whitespace and the case of exponents
# in numbers (`5E-1` becomes `5e-1`), so the JSON values are exactly what XGBoost wrote.
#
# Everything is deterministic: the data come from a fixed numpy seed and training uses a
# fixed seed and a single thread, so running it again on the same XGBoost version rewrites
# identical files. Feature values are generated as float32 so the TypeScript importer,
# which compares doubles, sees exactly the numbers XGBoost compared in float32. Some rows
# are built to sit exactly on split thresholds, which is where a float32/float64 mismatch
# would show. Nothing is rounded: each float32 is written as the double it converts to.

import json
import os
import subprocess

import numpy as np
import xgboost as xgb

SEED = 20240611
N_TRAIN = 2000
N_RANDOM_ROWS = 38
FEATURES = [
    'amount_log',
    'account_age_days',
    'tx_count_24h',
    'ip_risk',
    'device_age_days',
    'hour_of_day',
]

REPO_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
OUT_DIR = os.path.join(REPO_DIR, 'test', 'fixtures', 'xgboost')


def make_data(rng):
    """A small synthetic fraud-like table: float32 columns, some missing, ~10 % positives."""
    n = N_TRAIN
    amount_log = rng.normal(3.5, 1.2, n)
    account_age_days = rng.exponential(200.0, n).round()
    tx_count_24h = rng.poisson(3.0, n).astype(np.float64)
    ip_risk = rng.beta(1.5, 6.0, n)
    device_age_days = rng.exponential(90.0, n).round()
    hour_of_day = rng.integers(0, 24, n).astype(np.float64)
    X = np.stack([amount_log, account_age_days, tx_count_24h, ip_risk, device_age_days, hour_of_day], axis=1)
    X = X.astype(np.float32)

    # The label depends on a few features plus noise, so the trees have real structure.
    z = (
        -3.2
        + 0.6 * (X[:, 0] - 3.5)
        - 0.004 * X[:, 1]
        + 0.25 * X[:, 2]
        + 4.0 * X[:, 3]
        - 0.01 * X[:, 4]
        + 0.8 * ((X[:, 5] < 6) | (X[:, 5] > 22))
    )
    p = 1.0 / (1.0 + np.exp(-z))
    y = (rng.random(n) < p).astype(np.float32)

    # Missing values: ip_risk and device_age_days are sometimes unknown, as in production.
    X[rng.random(n) < 0.08, 3] = np.nan
    X[rng.random(n) < 0.12, 4] = np.nan
    X[rng.random(n) < 0.02, 0] = np.nan
    return X, y


def threshold_rows(model, X, rng):
    """Rows whose value on a split feature equals that split's threshold exactly."""
    trees = model['learner']['gradient_booster']['model']['trees']
    rows = []
    for tree_index in (0, 3, 7, 11, 19):
        tree = trees[tree_index]
        for node in (0, 1, 2):
            if tree['left_children'][node] == -1:
                continue
            row = X[rng.integers(0, len(X))].copy()
            row[tree['split_indices'][node]] = np.float32(tree['split_conditions'][node])
            rows.append(row)
    return rows


def to_json_number(v):
    """The exact double a float32 converts to, or None for NaN."""
    v = float(v)
    return None if np.isnan(v) else v


def format_with_biome(paths):
    """Formats the fixtures as the repository's linter expects; the values do not change."""
    try:
        subprocess.run(['npx', 'biome', 'format', '--write', *paths], cwd=REPO_DIR, check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        print(f'warning: could not run biome ({err}); run `npx biome format --write test/fixtures/xgboost`')


def main():
    rng = np.random.default_rng(SEED)
    X, y = make_data(rng)
    base_score = float(y.mean())

    dtrain = xgb.DMatrix(X, label=y, feature_names=FEATURES, missing=np.nan)
    params = {
        'objective': 'binary:logistic',
        'tree_method': 'hist',
        'max_depth': 4,
        'eta': 0.3,
        # A base score away from 0.5 exercises the probability-to-margin conversion.
        'base_score': base_score,
        'seed': SEED,
        'nthread': 1,
    }
    booster = xgb.train(params, dtrain, num_boost_round=20)

    os.makedirs(OUT_DIR, exist_ok=True)
    model_path = os.path.join(OUT_DIR, 'model.json')
    booster.save_model(model_path)
    with open(model_path) as f:
        model = json.load(f)

    picked = rng.choice(len(X), N_RANDOM_ROWS, replace=False)
    rows = [X[i] for i in picked]
    rows.extend(threshold_rows(model, X, rng))
    rows.append(np.full(len(FEATURES), np.nan, dtype=np.float32))
    R = np.stack(rows).astype(np.float32)

    dtest = xgb.DMatrix(R, feature_names=FEATURES, missing=np.nan)
    margins = booster.predict(dtest, output_margin=True)
    probabilities = booster.predict(dtest)

    lines = []
    for r, m, p in zip(R, margins, probabilities):
        entry = {'x': [to_json_number(v) for v in r], 'margin': float(m), 'probability': float(p)}
        lines.append('    ' + json.dumps(entry))
    rows_path = os.path.join(OUT_DIR, 'rows.json')
    with open(rows_path, 'w') as f:
        f.write('{\n')
        f.write('  "xgboostVersion": ' + json.dumps(xgb.__version__) + ',\n')
        f.write('  "features": ' + json.dumps(FEATURES) + ',\n')
        f.write('  "rows": [\n' + ',\n'.join(lines) + '\n  ]\n}\n')

    format_with_biome([model_path, rows_path])
    print(f'wrote {model_path} and {rows_path}: {len(R)} rows, base_score {base_score}')


if __name__ == '__main__':
    main()
