# Regenerate copkit's R reference values: the data sets in this folder and the *.json files.
#
#   Rscript tests/reference/make_reference.R [OUTDIR]
#
# OUTDIR defaults to a new temporary folder, so a run never overwrites the committed files by
# accident; `python tests/reference/compare_reference.py OUTDIR` then checks that every value in
# the committed JSON equals what this run computed. Made with R 4.2.2 and Debian's packages
# (apt-get install r-base-core r-cran-psych r-cran-multilevel r-cran-lme4 r-cran-lmertest
# r-cran-pbkrtest r-cran-lavaan r-cran-jsonlite): psych 2.2.9, multilevel 2.7, lme4 1.1-31,
# lmerTest 3.1-3, pbkrtest 0.5.2, lavaan 0.6-14.

suppressMessages({
  library(psych)
  library(multilevel)
  library(lme4)
  library(lmerTest)
  library(pbkrtest)
  library(lavaan)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[[1]] else tempfile("copkit-reference-")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
write_json_file <- function(value, name) {
  writeLines(toJSON(value, auto_unbox = TRUE, digits = NA, pretty = TRUE),
             file.path(out, name))
}
write_csv_file <- function(frame, name) {
  write.csv(frame, file.path(out, name), row.names = FALSE)
}

# --- psych::bfi agreeableness: alpha, Feldt interval, item-total, omega --------------------
bfi_items <- psych::bfi[, paste0("A", 1:5)]
rownames(bfi_items) <- NULL
write_csv_file(bfi_items, "bfi_agreeableness.csv")
complete <- na.omit(bfi_items)
complete$A1 <- 7 - complete$A1                      # A1 is reverse keyed on the 1-6 scale
a <- psych::alpha(complete, check.keys = FALSE)
ci <- psych::alpha.ci(a$total$raw_alpha, n.obs = nrow(complete), n.var = ncol(complete),
                      p.val = 0.05, digits = 12)
one_factor <- lavaan::cfa("A =~ A1 + A2 + A3 + A4 + A5", data = complete, std.lv = TRUE,
                          estimator = "ML")
est <- lavaan::lavInspect(one_factor, "est")
loadings <- est$lambda[, 1]
omega_ml <- sum(loadings)^2 / (sum(loadings)^2 + sum(diag(est$theta)))
omega_minres <- psych::omega(complete, nfactors = 1, fm = "minres", plot = FALSE)$omega.tot
write_json_file(list(
  n = nrow(complete), k = ncol(complete),
  alpha = a$total$raw_alpha, ci_low = ci$lower.ci, ci_high = ci$upper.ci,
  r_drop = as.list(setNames(a$item.stats$r.drop, rownames(a$item.stats))),
  alpha_if_deleted = as.list(setNames(a$alpha.drop$raw_alpha, rownames(a$alpha.drop))),
  omega_total_ml = omega_ml, omega_total_minres = omega_minres,
  reverse_keyed = "A1", reverse_as = "7 - x",
  note = "psych::bfi A1-A5, 6-point; rows with any missing item dropped"
), "bfi_agreeableness.expected.json")

# --- multilevel::lq2002: rwg(j), rwg, ICC(1), ICC(2) ------------------------------------------
data(lq2002, package = "multilevel")
lead <- paste0("LEAD", sprintf("%02d", 1:11))
lq <- data.frame(team = lq2002$COMPID, lq2002[, lead])
write_csv_file(lq, "lq2002_leadership.csv")
rwgj <- multilevel::rwg.j(lq[, lead], lq$team, ranvar = 2)
rwg1 <- multilevel::rwg(lq$LEAD01, lq$team, ranvar = 2)
scale_mean <- rowMeans(lq[, lead])
anova_fit <- aov(scale_mean ~ as.factor(lq$team))
write_json_file(list(
  options = 5, items = lead,
  rwg_j = as.list(setNames(rwgj$rwg.j, rwgj$grpid)),
  rwg_first_item = as.list(setNames(rwg1$rwg, rwg1$grpid)),
  icc1_scale_mean = multilevel::ICC1(anova_fit),
  icc2_scale_mean = multilevel::ICC2(anova_fit),
  note = "multilevel::lq2002, 5-point, uniform null, rwg truncated to 0..1 as multilevel does"
), "lq2002_leadership.expected.json")

# --- Fixed-effect inference: Satterthwaite (lmerTest) and Kenward-Roger (pbkrtest) -------------
inference_table <- function(fit, ddf) {
  coefs <- summary(fit, ddf = ddf)$coefficients
  intervals <- lapply(rownames(coefs), function(term) {
    t_crit <- qt(0.975, coefs[term, "df"])
    list(estimate = coefs[term, "Estimate"], se = coefs[term, "Std. Error"],
         df = coefs[term, "df"], t = coefs[term, "t value"], p = coefs[term, "Pr(>|t|)"],
         ci_low = coefs[term, "Estimate"] - t_crit * coefs[term, "Std. Error"],
         ci_high = coefs[term, "Estimate"] + t_crit * coefs[term, "Std. Error"])
  })
  setNames(intervals, rownames(coefs))
}

# --- multilevel::univbct: three-level growth model of job satisfaction --------------------------
data(univbct, package = "multilevel")
jsat <- univbct[!is.na(univbct$JSAT), c("COMPANY", "SUBNUM", "TIME", "JSAT")]
names(jsat) <- c("team", "person", "wave", "JSAT")
rownames(jsat) <- NULL
write_csv_file(jsat, "univbct_jsat.csv")
growth <- lme4::lmer(JSAT ~ wave + (wave | team) + (1 | team:person), data = jsat, REML = TRUE)
fixed <- summary(growth)$coefficients
components <- as.data.frame(VarCorr(growth))
write_json_file(list(
  formula_lme4 = "JSAT ~ wave + (wave | team) + (1 | team:person)", REML = TRUE,
  fixed = lapply(setNames(rownames(fixed), rownames(fixed)), function(term)
    list(estimate = fixed[term, "Estimate"], se = fixed[term, "Std. Error"])),
  variance = lapply(seq_len(nrow(components)), function(i) {
    row <- components[i, ]
    entry <- list(grp = row$grp)
    if (!is.na(row$var1)) entry$var1 <- row$var1
    if (!is.na(row$var2)) entry$var2 <- row$var2
    entry$vcov <- row$vcov
    entry
  }),
  loglik_reml = as.numeric(logLik(growth)),
  note = "multilevel::univbct; persons nested in companies; 3 waves"
), "univbct_jsat.expected.json")
intercepts <- lmerTest::lmer(JSAT ~ wave + (1 | team) + (1 | team:person), data = jsat,
                             REML = TRUE)
write_json_file(list(
  formula_lme4 = "JSAT ~ wave + (1 | team) + (1 | team:person)", REML = TRUE,
  satterthwaite = inference_table(intercepts, "Satterthwaite"),
  kenward_roger = inference_table(intercepts, "Kenward-Roger"),
  note = "multilevel::univbct JSAT 8 companies; random intercepts | lmerTest 3.1.3 pbkrtest 0.5.2"
), "univbct_jsat.inference.json")

# The same data with a placebo intervention (no intervention happened; the coding exercises the
# discontinuous growth model on real data): companies A and B from wave 1, C and D from wave 2.
placebo_start <- c(A = 1, B = 1, C = 2, D = 2)
start <- placebo_start[as.character(jsat$team)]
placebo <- jsat
placebo$post <- ifelse(!is.na(start) & placebo$wave >= start, 1, 0)
placebo$since <- ifelse(placebo$post == 1, placebo$wave - start, 0)
placebo_fit <- lmerTest::lmer(JSAT ~ wave + post + since + (1 | team) + (1 | team:person),
                              data = placebo, REML = TRUE)
write_json_file(list(
  formula_lme4 = "JSAT ~ wave + post + since + (1 | team) + (1 | team:person)", REML = TRUE,
  intervention_start = as.list(placebo_start),
  satterthwaite = inference_table(placebo_fit, "Satterthwaite"),
  kenward_roger = inference_table(placebo_fit, "Kenward-Roger"),
  note = paste("multilevel::univbct JSAT with a placebo intervention (A, B from wave 1; C, D",
               "from wave 2) | lmerTest 3.1.3 pbkrtest 0.5.2")
), "univbct_placebo.inference.json")
# The singular three-level fit: what lmerTest and pbkrtest report at a boundary estimate.
singular_fit <- lmerTest::lmer(JSAT ~ wave + (wave | team) + (1 | team:person), data = jsat,
                               REML = TRUE)
write_json_file(list(
  formula_lme4 = "JSAT ~ wave + (wave | team) + (1 | team:person)", REML = TRUE,
  singular = isSingular(singular_fit),
  satterthwaite = inference_table(singular_fit, "Satterthwaite"),
  kenward_roger = inference_table(singular_fit, "Kenward-Roger"),
  note = paste("multilevel::univbct JSAT; singular (team intercept-slope correlation -1)",
               "| lmerTest 3.1.3 pbkrtest 0.5.2")
), "univbct_singular.inference.json")

# --- A simulated CoP study: 8 teams x 10 members x 6 waves, staggered interventions ----------
# The design copkit is for (few teams, team slopes, an intervention in half of them), simulated
# here with R's own generator so that this script makes the data and the values alike.
simulate_study <- function(seed) {
  set.seed(seed)
  teams <- 8; members <- 10; waves <- 6
  start <- c(3, 3, 4, 4, NA, NA, NA, NA)
  u0 <- rnorm(teams, 0, 0.45); u1 <- rnorm(teams, 0, 0.12)
  rows <- expand.grid(wave = 1:waves, member = 1:members, team = 1:teams)
  person_effect <- rnorm(teams * members, 0, 0.6)
  s <- start[rows$team]
  rows$post <- ifelse(!is.na(s) & rows$wave >= s, 1, 0)
  rows$since <- ifelse(rows$post == 1, rows$wave - s, 0)
  rows$score <- 4 + 0.10 * rows$wave + 0.4 * rows$post + 0.05 * rows$since +
    u0[rows$team] + u1[rows$team] * rows$wave +
    person_effect[(rows$team - 1) * members + rows$member] + rnorm(nrow(rows), 0, 0.5)
  rows$score <- round(rows$score, 4)
  kept <- rows[runif(nrow(rows)) > 0.2, ]             # about a fifth of answers missing
  data.frame(team = paste0("T", kept$team), respondent = paste0("R", kept$member),
             wave = kept$wave, post = kept$post, since = kept$since, score = kept$score)
}
study <- simulate_study(3)
write_csv_file(study, "simulated_study.csv")
# lme4's default stopping rule leaves this optimum uncertain in the sixth digit (BLAS rounding
# moves it from run to run); tight tolerances make the reference reproducible to 1e-8.
tight <- lmerControl(optimizer = "nloptwrap",
                     optCtrl = list(xtol_abs = 1e-10, ftol_abs = 1e-13, xtol_rel = 1e-10,
                                    ftol_rel = 1e-15, maxeval = 1e5))
study_fit <- lmerTest::lmer(score ~ wave + post + since + (wave | team) + (1 | team:respondent),
                            data = study, REML = TRUE, control = tight)
write_json_file(list(
  formula_lme4 = "score ~ wave + post + since + (wave | team) + (1 | team:respondent)",
  REML = TRUE, singular = isSingular(study_fit),
  satterthwaite = inference_table(study_fit, "Satterthwaite"),
  kenward_roger = inference_table(study_fit, "Kenward-Roger"),
  note = paste("simulated (set.seed(3)): 8 teams x 10 members x 6 waves, interventions in 4",
               "teams from waves 3 and 4 | lmerTest 3.1.3 pbkrtest 0.5.2")
), "simulated_study.inference.json")

# Each team's fitted trajectory from that fit (fixed effects plus the team's conditional modes,
# person effects at 0) at every wave, post and since coded from the team's own start: what the
# report draws as the team's line. predict() with re.form = ~ (wave | team) keeps the team level.
starts <- c(T1 = 3, T2 = 3, T3 = 4, T4 = 4)
grid <- expand.grid(wave = 1:6, team = paste0("T", 1:8), stringsAsFactors = FALSE)
grid_start <- unname(starts[grid$team])
grid$post <- ifelse(!is.na(grid_start) & grid$wave >= grid_start, 1, 0)
grid$since <- ifelse(grid$post == 1, grid$wave - grid_start, 0)
grid$fitted <- unname(predict(study_fit, newdata = grid, re.form = ~ (wave | team)))
write_json_file(list(
  formula_lme4 = "score ~ wave + post + since + (wave | team) + (1 | team:respondent)",
  predict = "predict(fit, newdata, re.form = ~ (wave | team))",
  interventions = as.list(starts),
  trajectories = grid[, c("team", "wave", "post", "since", "fitted")],
  note = paste("the fit of simulated_study.inference.json; team-level predictions at waves",
               "1-6 | lme4 1.1-31")
), "simulated_study.trajectories.json")

# --- lme4::sleepstudy: subjects as teams, days as waves ----------------------------------------
sleep <- data.frame(team = as.character(lme4::sleepstudy$Subject),
                    wave = lme4::sleepstudy$Days, Reaction = lme4::sleepstudy$Reaction)
write_csv_file(sleep, "sleepstudy.csv")
sleep_fit <- lmerTest::lmer(Reaction ~ wave + (wave | team), data = sleep, REML = TRUE)
write_json_file(list(
  formula_lme4 = "Reaction ~ wave + (wave | team)", REML = TRUE,
  satterthwaite = inference_table(sleep_fit, "Satterthwaite"),
  kenward_roger = inference_table(sleep_fit, "Kenward-Roger"),
  note = "lme4::sleepstudy, 18 subjects as teams, Days as wave | lmerTest 3.1.3 pbkrtest 0.5.2"
), "sleepstudy.inference.json")

# --- lavaan::HolzingerSwineford1939: multi-group measurement invariance ------------------------
hs <- lavaan::HolzingerSwineford1939
hs_data <- data.frame(group = hs$school, hs[, paste0("x", 1:9)])
write_csv_file(hs_data, "holzinger_swineford.csv")
hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
measures <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")
invariance_fit <- function(equal) {
  lavaan::cfa(hs_model, data = hs_data, group = "group", group.equal = equal,
              meanstructure = TRUE, estimator = "ML")
}
# The likelihood-ratio test of each level against the one before (lavaan::lavTestLRT).
lrt <- function(before, after) {
  test <- lavaan::lavTestLRT(before, after)
  list(chisq_diff = test[["Chisq diff"]][2], df_diff = test[["Df diff"]][2],
       pvalue = test[["Pr(>Chisq)"]][2])
}
invariance_json <- function(fits) {
  list(fits = lapply(fits, function(fit) as.list(lavaan::fitMeasures(fit, measures))),
       differences = list(metric = lrt(fits$configural, fits$metric),
                          scalar = lrt(fits$metric, fits$scalar)))
}
hs_fits <- list(configural = invariance_fit(""),
                metric = invariance_fit("loadings"),
                scalar = invariance_fit(c("loadings", "intercepts")))
write_json_file(c(
  list(model_lavaan = hs_model, group = "group", estimator = "ML"),
  invariance_json(hs_fits),
  list(note = "lavaan::HolzingerSwineford1939, school as group | lavaan 0.6.14")
), "holzinger_swineford.invariance.json")

# --- Repeated-measures (longitudinal) invariance: the same items at several occasions ----------
# One factor per occasion (first loading fixed to 1), the factors correlated, each item's
# residuals correlated across occasions. Metric: the j-th item's loading equal at every
# occasion (label l<j>); scalar: its intercept too (label i<j>), the first occasion's factor
# mean fixed to 0 and the others free.
repeated_syntax <- function(occasions, level) {
  labels <- names(occasions)
  per <- length(occasions[[1]])
  lines <- character(0)
  for (o in labels) {
    items <- occasions[[o]]
    terms <- vapply(seq_len(per), function(j) {
      if (j > 1 && level != "configural") paste0("l", j, "*", items[j]) else items[j]
    }, character(1))
    lines <- c(lines, paste0(o, " =~ ", paste(terms, collapse = " + ")))
  }
  for (j in seq_len(per)) {
    same <- vapply(occasions, function(items) items[j], character(1))
    pairs <- combn(same, 2)
    lines <- c(lines, paste(pairs[1, ], "~~", pairs[2, ]))
    if (level == "scalar") lines <- c(lines, paste0(same, " ~ i", j, "*1"))
  }
  if (level == "scalar") lines <- c(lines, paste0(labels[-1], " ~ 1"))
  paste(lines, collapse = "\n")
}
repeated_reference <- function(frame, occasions, name, note) {
  write_csv_file(frame, paste0(name, ".csv"))
  fits <- lapply(setNames(nm = c("configural", "metric", "scalar")), function(level)
    lavaan::cfa(repeated_syntax(occasions, level), data = frame, meanstructure = TRUE,
                estimator = "ML"))
  write_json_file(c(
    list(occasions = occasions, model_lavaan = lapply(setNames(nm = names(fits)), function(level)
      repeated_syntax(occasions, level)), estimator = "ML",
      n = lavaan::lavInspect(fits$configural, "nobs")),
    invariance_json(fits),
    list(note = note)
  ), paste0(name, ".invariance.json"))
}

# lavaan::PoliticalDemocracy: four indicators of democracy in 75 developing countries, 1960
# (y1-y4) and 1965 (y5-y8).
democracy <- lavaan::PoliticalDemocracy[, paste0("y", 1:8)]
rownames(democracy) <- NULL
repeated_reference(democracy, list(dem60 = paste0("y", 1:4), dem65 = paste0("y", 5:8)),
                   "political_democracy",
                   "lavaan::PoliticalDemocracy y1-y8, 1960 and 1965 | lavaan 0.6.14")

# multilevel::univbct: job satisfaction, commitment and readiness of 495 soldiers at three
# times, one row per soldier (the long file repeats them per time); rows with any of the nine
# missing are dropped by lavaan (listwise), as by copkit.
morale_columns <- c(paste0(c("JOBSAT", "COMMIT", "READY"), 1), paste0(c("JOBSAT", "COMMIT", "READY"), 2),
                    paste0(c("JOBSAT", "COMMIT", "READY"), 3))
morale <- univbct[!duplicated(univbct$SUBNUM), morale_columns]
rownames(morale) <- NULL
repeated_reference(morale, list(time1 = morale_columns[1:3], time2 = morale_columns[4:6],
                                time3 = morale_columns[7:9]),
                   "univbct_morale",
                   "multilevel::univbct, one row per soldier, three times | lavaan 0.6.14")

cat(out, "\n")
