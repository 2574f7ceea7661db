"""``reproduce.R``: an R script that recomputes an analysis' key numbers from the bundle's CSVs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from analysis.pipeline import AnalysisResults

__all__ = ["SCRIPT_NAME", "r_script", "write_r_script"]

#: File name of the script in the results folder; it writes ``reproduce.json`` beside itself.
SCRIPT_NAME = "reproduce.R"

_ADJUST_IN_R = {"holm": "holm", "bh": "BH", "none": "none"}

_BODY = r"""
suppressPackageStartupMessages({
  library(psych)       # alpha, alpha.ci (Feldt)
  library(multilevel)  # rwg.j, ICC1, ICC2
  library(lmerTest)    # lmer with Satterthwaite df
  library(lavaan)      # cfa: measurement invariance
  library(jsonlite)
})

if (grepl("\\.zip$", bundle)) {  # a zipped bundle: unpack it next to R's temporary files
  unpacked <- tempfile("bundle")
  unzip(bundle, exdir = unpacked)
  bundle <- dirname(list.files(unpacked, "^responses\\.csv$", recursive = TRUE,
                               full.names = TRUE)[1])
}

# --- Items: one row per wave x team x respondent, reverse keyed (low + high - x) ---------------
responses <- read.csv(file.path(bundle, "responses.csv"), check.names = FALSE)
responses <- responses[responses$wave %in% waves,
                       c("wave", "team", "respondent", "profession", "item", "value")]
wide <- reshape(responses, idvar = c("wave", "team", "respondent", "profession"),
                timevar = "item",
                direction = "wide")
names(wide) <- sub("^value\\.", "", names(wide))
for (s in scales) {
  for (item in s$reverse) wide[[item]] <- s$low + s$high - wide[[item]]
}
# Scale score: the item mean when at least 2/3 of the items are answered, else missing.
for (name in names(scales)) {
  s <- scales[[name]]
  answered <- rowSums(!is.na(wide[, s$items, drop = FALSE]))
  score <- rowMeans(wide[, s$items, drop = FALSE], na.rm = TRUE)
  wide[[name]] <- ifelse(answered >= ceiling(2 / 3 * length(s$items) - 1e-9), score, NA)
}

# --- Reliability per scale and wave: psych::alpha on complete rows, Feldt interval -------------
reliability <- do.call(rbind, lapply(names(scales), function(name) {
  s <- scales[[name]]
  do.call(rbind, lapply(waves, function(w) {
    x <- na.omit(wide[wide$wave == w, s$items])
    if (nrow(x) < 2) return(NULL)
    a <- suppressWarnings(psych::alpha(x, check.keys = FALSE, warnings = FALSE))$total$raw_alpha
    ci <- psych::alpha.ci(a, n.obs = nrow(x), n.var = ncol(x), p.val = 0.05, digits = 15)
    data.frame(scale = name, wave = w, n = nrow(x), alpha = a, ci_low = ci$lower.ci,
               ci_high = ci$upper.ci)
  }))
}))

# --- Agreement per team, wave, scale: rwg(j) (uniform null), ICC(1), ICC(2) of scale means -----
agreement <- do.call(rbind, lapply(names(scales), function(name) {
  s <- scales[[name]]
  ranvar <- (s$options^2 - 1) / 12
  do.call(rbind, lapply(waves, function(w) {
    rows <- wide[wide$wave == w, c("team", s$items)]
    rows <- rows[complete.cases(rows), ]
    counts <- table(rows$team)
    kept <- rows[rows$team %in% names(counts)[counts >= 2], ]
    if (nrow(kept) == 0) return(NULL)
    r <- multilevel::rwg.j(kept[, s$items], kept$team, ranvar = ranvar)
    means <- rowMeans(rows[, s$items])
    fit <- aov(means ~ as.factor(rows$team))
    data.frame(team = as.character(r$grpid), wave = w, scale = name, n = r$gsize,
               rwg_j = r$rwg.j, icc1 = multilevel::ICC1(fit), icc2 = multilevel::ICC2(fit))
  }))
}))

# --- Growth: the model copkit reports for each scale, REML, Satterthwaite df (lmerTest) --------
tight <- lmerControl(optimizer = "nloptwrap",
                     optCtrl = list(xtol_abs = 1e-10, ftol_abs = 1e-13, xtol_rel = 1e-10,
                                    ftol_rel = 1e-15, maxeval = 1e5))
growth <- do.call(rbind, lapply(names(growth_models), function(name) {
  data <- wide[!is.na(wide[[name]]), ]
  fit <- suppressMessages(lmerTest::lmer(as.formula(growth_models[[name]]), data = data,
                                         REML = TRUE, control = tight))
  co <- summary(fit, ddf = "Satterthwaite")$coefficients
  data.frame(scale = name, term = sub("^\\(Intercept\\)$", "Intercept", rownames(co)),
             estimate = co[, "Estimate"], se = co[, "Std. Error"], df = co[, "df"],
             p = co[, "Pr(>|t|)"], singular = isSingular(fit))
}))

# --- Measurement invariance across waves and professions: lavaan, ML, mean structure, first loading 1 ---------
measures <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")
levels <- list(configural = "none", metric = "loadings",
               scalar = c("loadings", "intercepts"))
invariance <- do.call(rbind, lapply(invariance_groups, function(g) {
  s <- scales[[g$scale]]
  x <- wide[as.character(wide[[g$column]]) %in% g$groups, c(g$column, s$items)]
  x <- x[complete.cases(x), ]
  model <- paste("f =~", paste(s$items, collapse = " + "))
  do.call(rbind, lapply(names(levels), function(level) {
    fit <- lavaan::cfa(model, data = x, group = g$column, group.equal = levels[[level]],
                       meanstructure = TRUE, estimator = "ML")
    data.frame(comparison = g$comparison, scale = g$scale, level = level,
               as.list(setNames(as.numeric(lavaan::fitMeasures(fit, measures)), measures)))
  }))
}))

# --- Per-team claims: each team's slope p adjusted across teams x scales (p.adjust) ----------
trajectories <- read.csv(file.path(results, "team_trajectories.csv"))
adjusted <- data.frame(scale = trajectories$scale, team = trajectories$team,
                       slope_p_adjusted = p.adjust(trajectories$slope_p, method = adjust))

write_json(list(reliability = reliability, agreement = agreement, growth = growth,
                invariance = invariance, adjusted = adjusted,
                r = R.version.string,
                packages = lapply(c(psych = "psych", multilevel = "multilevel",
                                    lmerTest = "lmerTest", lme4 = "lme4", lavaan = "lavaan"),
                                  function(p) as.character(packageVersion(p)))),
           out, digits = NA, na = "null", auto_unbox = TRUE, pretty = TRUE)
cat("wrote", out, "\n")
"""


def _r_string(value: object) -> str:
    return json.dumps(str(value))


def _r_vector(values: list[object]) -> str:
    return "c(" + ", ".join(_r_string(v) for v in values) + ")" if values else "character(0)"


_COMPARED_BY = {"waves": "wave", "professions": "profession"}


def _invariance_groups(invariance: pd.DataFrame) -> list[tuple[str, str, str, list[str]]]:
    """``(comparison, scale, column, groups)`` of each multi-group comparison copkit fitted
    (across waves and professions; the identity targets' repeated-measures model is not
    rewritten in R here)."""
    if invariance.empty or "comparison" not in invariance.columns:
        return []
    fitted = invariance[invariance["comparison"].isin(list(_COMPARED_BY))]
    fitted = fitted[fitted["chisq"].notna()].drop_duplicates(["comparison", "scale"])
    return [
        (str(c), str(s), _COMPARED_BY[str(c)], [g.strip() for g in str(groups).split(",")])
        for c, s, groups in zip(
            fitted["comparison"], fitted["scale"], fitted["groups"], strict=True
        )
    ]


def r_script(results: AnalysisResults, *, results_dir: str | Path = ".") -> str:
    """The text of ``reproduce.R`` for ``results``.

    The script reads the bundle's ``responses.csv`` (and copkit's ``team_trajectories.csv`` for
    the adjusted p) and recomputes, with the R packages the methods name: Cronbach's alpha and
    its Feldt interval per scale and wave (``psych::alpha``, ``psych::alpha.ci``); rwg(j) with
    the uniform null, ICC(1) and ICC(2) per team, wave and scale (``multilevel::rwg.j``,
    ``ICC1``, ``ICC2``); the growth models' fixed effects with Satterthwaite df
    (``lmerTest::lmer``, the formula copkit reports for each scale, REML); configural, metric
    and scalar invariance across waves and across professions, with the groups copkit compared
    (``lavaan::cfa``, ML with a mean structure); and each
    team's slope p adjusted across teams x scales (``p.adjust``). It writes them to
    ``reproduce.json`` (``Rscript reproduce.R [BUNDLE_DIR] [RESULTS_DIR] [OUT_JSON]``).

    Parameters
    ----------
    results : AnalysisResults
        A finished analysis (:func:`analysis.analyse_bundle`); its bundle must have been read
        from a folder for the script to find the CSVs by default.
    results_dir : path
        Where copkit wrote the result tables (the script's default for RESULTS_DIR).
    """
    bundle = results.bundle
    scales = []
    for scale in bundle.instrument.scales:
        rs = scale.response_scale
        items = [item.id for item in scale.items]
        reverse = [item.id for item in scale.items if item.reverse]
        scales.append(
            f"  {scale.id} = list(items = {_r_vector(list(items))}, "
            f"reverse = {_r_vector(list(reverse))}, low = {rs.min}, high = {rs.max}, "
            f"options = {rs.options})"
        )
    growth = results.growth
    models = (
        growth.drop_duplicates("scale")[["scale", "model"]].to_numpy().tolist()
        if not growth.empty
        else []
    )
    model_lines = [f"  {scale} = {_r_string(model)}" for scale, model in models]
    invariance_lines = [
        f"  list(comparison = {_r_string(comparison)}, scale = {_r_string(scale)}, "
        f"column = {_r_string(column)}, groups = {_r_vector(list(groups))})"
        for comparison, scale, column, groups in _invariance_groups(results.invariance)
    ]
    source = Path(bundle.source).resolve() if Path(bundle.source).exists() else bundle.source
    joined = {
        "scales": ",\n".join(scales),
        "models": ",\n".join(model_lines),
        "invariance": ",\n".join(invariance_lines),
    }
    header = f"""# reproduce.R: copkit's key numbers recomputed in R from the study bundle.
# Written by copkit analyse on {datetime.now(UTC).isoformat(timespec="seconds")} for
# {bundle.source} (instrument {bundle.instrument.key}, waves {", ".join(map(str, bundle.waves))}).
#
# Run:   Rscript reproduce.R [BUNDLE_DIR] [RESULTS_DIR] [OUT_JSON]
# Needs: R with psych, multilevel, lmerTest (lme4), lavaan and jsonlite
#        (Debian: r-cran-psych r-cran-multilevel r-cran-lmertest r-cran-lavaan r-cran-jsonlite).
# Writes OUT_JSON (default reproduce.json) with the tables below; compare them with copkit's
# reliability.csv, agreement.csv, growth.csv, invariance.csv and team_trajectories.csv.
# The growth models are the ones copkit reports (after any simplification of a singular fit);
# the multiplicity adjustment is {results.adjust}.

args <- commandArgs(trailingOnly = TRUE)
bundle <- if (length(args) >= 1) args[1] else {_r_string(source)}
results <- if (length(args) >= 2) args[2] else {_r_string(Path(results_dir).resolve())}
out <- if (length(args) >= 3) args[3] else "reproduce.json"

waves <- c({", ".join(map(str, bundle.waves))})
adjust <- {_r_string(_ADJUST_IN_R[results.adjust])}
scales <- list(
{joined["scales"]}
)
growth_models <- list(
{joined["models"]}
)
invariance_groups <- list(
{joined["invariance"]}
)
"""
    return header + _BODY


def write_r_script(results: AnalysisResults, out_dir: str | Path) -> Path:
    """Write ``reproduce.R`` (:func:`r_script`) into ``out_dir`` and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / SCRIPT_NAME
    path.write_text(r_script(results, results_dir=out), encoding="utf-8")
    return path
