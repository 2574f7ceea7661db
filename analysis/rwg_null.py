"""Null response distributions for rwg and rwg(j): expected variances and simulated quantiles."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

__all__ = [
    "NULL_DISTRIBUTIONS",
    "clear_memory_cache",
    "rwg_from_mean_variance",
    "rwg_null_quantile",
    "rwg_null_variance",
]

#: Names accepted by the ``null`` argument of the rwg functions.
NULL_DISTRIBUTIONS: tuple[str, ...] = ("uniform", "slight", "moderate", "heavy")

# Expected variances of the skewed null response distributions published by
# LeBreton & Senter (2008, Table 3), by number of response options.
_SKEWED_NULL_VARIANCES: Mapping[str, Mapping[int, float]] = {
    "slight": {5: 1.34, 7: 2.90},
    "moderate": {5: 0.90, 7: 2.14},
    "heavy": {5: 0.44, 7: 1.39},
}

# Bump when the simulation changes so that stale cached quantiles are not reused.
_SIMULATION_VERSION = 1
_CACHE_FILE = f"rwg_null_quantiles_v{_SIMULATION_VERSION}.json"
# Largest number of simulated responses held in memory at once.
_CHUNK_RESPONSES = 2_000_000

_memory_cache: dict[str, float] = {}


def _check_options(options: int) -> int:
    if isinstance(options, bool) or not isinstance(options, int | np.integer):
        raise ValueError(f"options must be an integer number of response options, got {options!r}")
    if options < 2:
        raise ValueError(f"options must be at least 2, got {options}")
    return int(options)


def rwg_null_variance(options: int, null: str = "uniform") -> float:
    """Expected variance :math:`\\sigma_E^2` of a null (no agreement) response distribution.

    Parameters
    ----------
    options : int
        Number of response options A (e.g. 5 for a 1-5 scale), at least 2.
    null : {"uniform", "slight", "moderate", "heavy"}, default "uniform"
        The null distribution: uniform (rectangular) or slightly, moderately or heavily
        skewed (a leniency or social desirability bias).

    Returns
    -------
    float
        The null variance.

    Raises
    ------
    ValueError
        For an unknown ``null``, fewer than two options, or a skewed null for a number of
        options without a published value (only 5 and 7 are tabled here).

    Notes
    -----
    Uniform null: :math:`\\sigma_{EU}^2 = (A^2 - 1)/12` (James, Demaree & Wolf, 1984). Skewed
    nulls: the values LeBreton & Senter (2008, Table 3) give, 5 options: 1.34, 0.90, 0.44;
    7 options: 2.90, 2.14, 1.39 (slight, moderate, heavy skew).

    References
    ----------
    James, L. R., Demaree, R. G., & Wolf, G. (1984). Estimating within-group interrater
    reliability with and without response bias. Journal of Applied Psychology, 69, 85-98.
    LeBreton, J. M., & Senter, J. L. (2008). Answers to 20 questions about interrater
    reliability and interrater agreement. Organizational Research Methods, 11, 815-852.

    Examples
    --------
    >>> rwg_null_variance(5)
    2.0
    >>> rwg_null_variance(7, "slight")
    2.9
    """
    options = _check_options(options)
    if null == "uniform":
        return (options**2 - 1) / 12.0
    if null not in _SKEWED_NULL_VARIANCES:
        raise ValueError(
            f"unknown null distribution {null!r}; use one of {', '.join(NULL_DISTRIBUTIONS)}"
        )
    table = _SKEWED_NULL_VARIANCES[null]
    if options not in table:
        published = ", ".join(str(a) for a in sorted(table))
        raise ValueError(
            f"no published {null}-skew null variance for {options} response options "
            f"(LeBreton & Senter 2008 give {published}); use null='uniform'"
        )
    return table[options]


def rwg_from_mean_variance(
    mean_variance: np.ndarray | float, n_items: int, null_variance: float
) -> np.ndarray:
    """rwg(j) from mean item variances, truncating the observed variance at the null variance.

    Parameters
    ----------
    mean_variance : array_like
        Mean of the item variances (n - 1 denominator) in each group; ``nan`` passes through.
    n_items : int
        Number of items J (1 gives the single-item rwg).
    null_variance : float
        :math:`\\sigma_E^2`, see :func:`rwg_null_variance`.

    Returns
    -------
    numpy.ndarray
        rwg(j) values in [0, 1].

    Notes
    -----
    With :math:`v = \\min(\\bar s^2, \\sigma_E^2)/\\sigma_E^2`,
    :math:`r_{wg(J)} = J(1 - v) / (J(1 - v) + v)` (James, Demaree & Wolf, 1984); for
    :math:`J = 1` this is :math:`1 - v`. Truncation as R's ``multilevel::rwg.j``.

    References
    ----------
    James, L. R., Demaree, R. G., & Wolf, G. (1984). Journal of Applied Psychology, 69, 85-98.

    Examples
    --------
    >>> rwg_from_mean_variance(1.0, 4, 2.0)
    array(0.8)
    """
    ratio = np.minimum(np.asarray(mean_variance, dtype=float), null_variance) / null_variance
    agreement = n_items * (1.0 - ratio)
    return np.asarray(agreement / (agreement + ratio))


def clear_memory_cache() -> None:
    """Forget the quantiles cached in this process (the on-disk cache is kept).

    Examples
    --------
    >>> clear_memory_cache()
    """
    _memory_cache.clear()


def _cache_path() -> Path:
    base = os.environ.get("COPKIT_CACHE_DIR")
    root = Path(base) if base else Path.home() / ".cache" / "copkit"
    return root / _CACHE_FILE


def _read_disk_cache(path: Path) -> dict[str, float]:
    try:
        with path.open(encoding="utf-8") as handle:
            content = json.load(handle)
    except (OSError, ValueError):
        return {}
    if not isinstance(content, dict):
        return {}
    return {k: float(v) for k, v in content.items() if isinstance(v, int | float)}


def _write_disk_cache(path: Path, key: str, value: float) -> None:
    """Merge one value into the cache file, replacing it atomically; failures are ignored."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        content = _read_disk_cache(path)
        content[key] = value
        fd, tmp_name = tempfile.mkstemp(prefix=".rwg_null.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(content, handle, sort_keys=True)
        os.replace(tmp_name, path)
    except OSError:
        return


def _simulate_rwg(
    group_size: int, n_items: int, options: int, null_variance: float, reps: int, seed: int
) -> np.ndarray:
    """rwg(j) of ``reps`` groups of uniform random responders (vectorised, in chunks)."""
    rng = np.random.default_rng(seed)
    out = np.empty(reps)
    # Responses are held as (team, item, respondent) so that the sums run over contiguous memory;
    # int16 squares are exact up to 181 options.
    dtype = np.int16 if options <= 181 else np.int64
    chunk = max(1, _CHUNK_RESPONSES // (group_size * n_items))
    for start in range(0, reps, chunk):
        size = min(chunk, reps - start)
        answers = rng.integers(1, options + 1, size=(size, n_items, group_size), dtype=dtype)
        total = answers.sum(axis=-1, dtype=np.int64).astype(float)
        squares = (answers * answers).sum(axis=-1, dtype=np.int64).astype(float)
        variances = np.maximum(squares - total**2 / group_size, 0.0) / (group_size - 1)
        out[start : start + size] = rwg_from_mean_variance(
            variances.mean(axis=1), n_items, null_variance
        )
    return out


def rwg_null_quantile(
    group_size: int,
    n_items: int,
    options: int,
    q: float = 0.95,
    *,
    null: str = "uniform",
    reps: int = 10000,
    seed: int = 0,
) -> float:
    """Quantile of rwg(j) under random responding, for a given team size and item count.

    A team's rwg(j) that is not above this value (for ``q = 0.95``) is no higher than what
    5% of teams of purely random responders reach, however high a flat cut-off such as .70
    would judge it; small teams and long scales need the most.

    Parameters
    ----------
    group_size : int
        Respondents in the team (at least 2).
    n_items : int
        Items J in the scale (1 gives the single-item rwg).
    options : int
        Response options A; responses are drawn uniformly from 1..A.
    q : float, default 0.95
        Quantile, in (0, 1).
    null : str, default "uniform"
        Null variance used in the computed index (see :func:`rwg_null_variance`); the
        simulated responders are uniform whichever null is named.
    reps : int, default 10000
        Number of simulated teams.
    seed : int, default 0
        Seed of the numpy random generator: the result is deterministic.

    Returns
    -------
    float
        The q-quantile of the simulated rwg(j) values (linear interpolation, R's type 7).

    Raises
    ------
    ValueError
        For a group size below 2, fewer than one item, fewer than two options, q outside
        (0, 1), reps below 1 or a bad ``null``.

    Notes
    -----
    Each replicate draws a ``group_size`` x ``n_items`` matrix of independent uniform
    responses on 1..A, computes the item variances (n - 1 denominator), their mean
    :math:`\\bar s^2`, and rwg(j) truncated as :func:`rwg_from_mean_variance`. This is the
    random-group resampling approach of Dunlap, Burke & Smith-Crowe (2003) and Cohen, Doveh
    & Eick (2001), as ``multilevel::rwg.j.sim`` (independent items). Results are cached in
    memory and in a JSON file in ``$COPKIT_CACHE_DIR`` (default ``~/.cache/copkit``) keyed by
    every argument.

    References
    ----------
    Cohen, A., Doveh, E., & Eick, U. (2001). Statistical properties of the rwg(j) index of
    agreement. Psychological Methods, 6, 297-310.
    Dunlap, W. P., Burke, M. J., & Smith-Crowe, K. (2003). Accurate tests of statistical
    significance for rwg and average deviation interrater agreement indexes. Journal of
    Applied Psychology, 88, 356-362.

    Examples
    --------
    >>> small, large = rwg_null_quantile(3, 4, 7), rwg_null_quantile(30, 4, 7)
    >>> small > large
    True
    """
    for name, count, minimum in (
        ("group_size", group_size, 2),
        ("n_items", n_items, 1),
        ("reps", reps, 1),
    ):
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < minimum:
            raise ValueError(f"{name} must be an integer of at least {minimum}, got {count!r}")
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must be in (0, 1), got {q}")
    null_variance = rwg_null_variance(options, null)
    key = (
        f"group_size={int(group_size)};n_items={int(n_items)};options={int(options)};"
        f"q={float(q)!r};null={null};reps={int(reps)};seed={int(seed)}"
    )
    cached = _memory_cache.get(key)
    if cached is not None:
        return cached
    path = _cache_path()
    on_disk = _read_disk_cache(path).get(key)
    if on_disk is not None:
        _memory_cache[key] = on_disk
        return on_disk
    simulated = _simulate_rwg(
        int(group_size), int(n_items), int(options), null_variance, int(reps), int(seed)
    )
    value = float(np.quantile(simulated, q))
    _memory_cache[key] = value
    _write_disk_cache(path, key, value)
    return value
