"""Every finding the book states, on small fake results where it must come out true and where it must not.

Each finding function takes the chapter's tables (built here from :func:`fake_results.fake_result`) and returns
the sentence a chapter glues; each test checks both outcomes (and the build that cannot say anything), so a
changed rule or a broken branch fails here, not only on a page.
"""
import numpy as np
import pandas as pd
import pytest
from IPython.display import Markdown

from attnlib.book import tables
from attnlib.book.findings import (adversarial_findings, correlation_findings, data_models_findings,
                                   discussion_findings, permutation_findings, reproducibility_findings)
from attnlib.book.findings import adversarial as adv
from attnlib.book.findings import correlation as corr
from attnlib.book.findings import data_models as dm
from attnlib.book.findings import discussion as disc
from attnlib.book.findings import permutation as perm
from attnlib.book.findings import reproducibility as repro
from attnlib.book.findings import rules
from attnlib.book.findings import scorecard as sc
from attnlib.book.scorecard import scorecard, tolerance

from fake_results import fake_result, with_seeds


def both_encoders(dataset="sst", lstm=None, average=None):
    """A BiLSTM and an Average result of ``dataset`` with their own per-instance values."""
    return [fake_result(dataset, "lstm", **(lstm or {})), fake_result(dataset, "average", **(average or {}))]


# -- rules ----------------------------------------------------------------------------------------------------


def test_average_against_bilstm_counts_the_datasets_with_both_encoders():
    table = pd.DataFrame({"dataset": ["sst", "sst", "imdb", "imdb", "babi1", "snli"],
                          "encoder": ["lstm", "average", "lstm", "average", "lstm", "average"],
                          "attention": "tanh", "value": [0.2, 0.5, 0.6, 0.4, 0.1, 0.9]})
    assert rules.average_against_bilstm(table, "value", higher=True) == rules.Tally(1, 2)
    assert rules.average_against_bilstm(table, "value", higher=False) == rules.Tally(1, 2)
    only_sst = rules.average_against_bilstm(table, "value", higher=True, only=lambda name: name == "sst")
    assert only_sst == rules.Tally(1, 1)
    dot = table.assign(attention="dot")
    assert rules.average_against_bilstm(dot, "value", higher=True) == rules.Tally(0, 0)
    assert rules.average_against_bilstm(table[table.encoder == "lstm"], "value", higher=True) == rules.Tally(0, 0)


# -- data and models --------------------------------------------------------------------------------------------


def _performance(differences):
    rows = [{"dataset": "sst", "encoder": e, "attention": "tanh", "metric": "macro_f1", "ours": 0.8 + d,
             "paper": 0.8, "difference": d} for e, d in zip(("lstm", "average", "cnn"), differences)]
    return pd.DataFrame(rows)


def test_scores_against_paper_use_the_test_metric_tolerance():
    limit = tolerance("test metric")
    close = dm.scores_against_paper(_performance([0.0, limit / 2, -limit]))
    assert (close["n_close"], close["n_compared"], close["far_off"]) == (3, 3, "none")
    far = dm.scores_against_paper(_performance([0.0, 2 * limit, -3 * limit]))
    assert (far["n_close"], far["far_off"]) == (1, f"sst cnn+tanh ({-3 * limit:+.3f}); sst average+tanh ({2 * limit:+.3f})")


def test_focus_performance_says_when_the_paper_has_no_number():
    table = _performance([0.01, 0.0, 0.0])
    focus = dm.focus_performance(table, "sst", "lstm", "tanh")
    assert focus["focus_paper"] == "against the paper's 0.800" and focus["focus_metric"] == "macro-F1"
    table.loc[0, "paper"] = np.nan
    assert dm.focus_performance(table, "sst", "lstm", "tanh")["focus_paper"].startswith("(the paper reports no")


def test_data_models_findings_on_fake_results():
    results = both_encoders()
    values = data_models_findings(results, results[0])
    assert values["focus_label"] == "sst lstm+tanh" and values["test_tolerance"] == tolerance("test metric")
    assert {"n_close", "n_compared", "far_off", "focus_metric", "focus_ours", "focus_paper"} <= set(values)


# -- correlation ------------------------------------------------------------------------------------------------


def test_encoder_pattern_holds_when_the_average_encoder_agrees_better():
    holds = tables.correlation_table(both_encoders(lstm={"tau": 0.2}, average={"tau": 0.6}))
    assert "is above the BiLSTM's on 1 of 1 datasets with gradients and on 1 of 1" in corr.encoder_pattern(holds)
    fails = tables.correlation_table(both_encoders(lstm={"tau": 0.6}, average={"tau": 0.2}))
    assert "on 0 of 1 datasets with gradients and on 0 of 1" in corr.encoder_pattern(fails)
    alone = tables.correlation_table([fake_result("sst", "lstm")])
    assert corr.encoder_pattern(alone).startswith("This build has no dataset with both")


def test_table2_against_paper_counts_within_the_table2_tolerance():
    overall = tables.correlation_table([fake_result("sst", "lstm", tau=0.32)])   # the paper: 0.351 and 0.291
    sentence = corr.table2_against_paper(overall)
    assert sentence == ("Of the 2 overall mean τ values that the paper also reports, 2 are within 0.05 of the "
                        "paper's (the largest gap is 0.03).")
    far = corr.table2_against_paper(tables.correlation_table([fake_result("sst", "lstm", tau=0.9)]))
    assert "0 are within 0.05" in far
    dot = corr.table2_against_paper(tables.correlation_table([fake_result("sst", "lstm", "dot")]))
    assert dot.startswith("None of the overall mean τ values here has a counterpart")


def test_gradient_loo_agreement_says_one_value_or_a_range():
    one = tables.correlation_table([fake_result(tau_gradient_loo=0.4)], measures=("tau_gradient_loo",))
    assert "at a mean τ of 0.40" in corr.gradient_loo_agreement(one)
    two = tables.correlation_table([fake_result(tau_gradient_loo=0.4), fake_result("imdb", tau_gradient_loo=0.7)],
                                   measures=("tau_gradient_loo",))
    assert "between 0.40 and 0.70" in corr.gradient_loo_agreement(two)
    assert corr.gradient_loo_agreement(pd.DataFrame()).startswith("This build has no τ")


def test_significance_by_dataset_orders_the_datasets_by_their_share():
    instances = tables.all_instances([fake_result("sst", p=[0.01] * 5 + [0.5] * 15),
                                      fake_result("imdb", p=0.01, length=200)])
    sentence = corr.significance_by_dataset(instances)
    assert "runs from 25% on sst (median length 10 tokens) to 100% on imdb (median length 200)" in sentence
    single = corr.significance_by_dataset(tables.all_instances([fake_result("sst", p=0.5)]))
    assert "with one dataset" in single and "is 0% on sst" in single
    assert corr.significance_by_dataset(pd.DataFrame()).startswith("This build has no experiment with tanh")


def test_largest_table2_gap_with_and_without_seeds():
    one = [fake_result("sst", "lstm", tau=0.1)]
    gap = corr.largest_table2_gap(tables.correlation_table(one), tables.seed_table(one))
    assert gap.startswith("The largest gap is sst lstm+tanh with gradients: our mean τ is 0.10 against the paper's 0.35")
    assert gap.endswith("this build trains one seed of it, so how much of the gap a change of seed covers is not "
                        "measured here.")
    seeds = one + [fake_result("sst", "lstm", seed=1, tau=0.4)]
    covered = corr.largest_table2_gap(tables.correlation_table(one), tables.seed_table(seeds))
    assert covered.endswith("over our 2 seeds it ranges from 0.10 to 0.40, which includes the paper's value.")
    seeds[1] = fake_result("sst", "lstm", seed=1, tau=0.2)
    assert corr.largest_table2_gap(tables.correlation_table(one), tables.seed_table(seeds)).endswith(
        "which does not include the paper's value.")
    dot = [fake_result("sst", "lstm", "dot")]
    assert corr.largest_table2_gap(tables.correlation_table(dot), tables.seed_table(dot)).startswith("No overall")


def test_significance_depends_on_length_in_the_example():
    values = correlation_findings(both_encoders(), both_encoders()[0])
    assert values["p_short_text"] > 0.05 > 1e-4 > values["p_long_text"]
    assert values["significance_level"] == 0.05 and values["focus_tau_grad"] == pytest.approx(0.3)


# -- permutation ------------------------------------------------------------------------------------------------


def test_peaked_instances_and_the_bilstm_under_permutation():
    instances = tables.all_instances([fake_result(perm=[0.01] * 10 + [0.2] * 10, max_attention=[0.9] * 5 + [0.2] * 15)])
    assert perm.peaked_instances(instances) == "among the 5 instances whose largest weight is at least 0.5, 100% do"
    assert perm.bilstm_under_permutation(instances).endswith(
        "for 50% of their instances, and for 100% of those whose largest weight is at least 0.5.")
    flat = tables.all_instances([fake_result(perm=0.2, max_attention=0.2)])
    assert perm.peaked_instances(flat) == "no instance here has a largest weight of 0.5 or more"
    assert perm.bilstm_under_permutation(flat).endswith("for 0% of their instances (none has a largest weight of 0.5 "
                                                        "or more).")
    average = tables.all_instances([fake_result(encoder="average")])
    assert perm.bilstm_under_permutation(average) == "This build has no BiLSTM experiment."


def test_most_sensitive_dataset():
    instances = tables.all_instances([fake_result("sst", perm=0.1), fake_result("babi1", perm=0.4)])
    assert perm.most_sensitive_dataset(instances) == ("The most sensitive dataset here is babi1 (mean median TVD "
                                                      "0.400), the least sensitive sst (0.100).")
    assert perm.most_sensitive_dataset(tables.all_instances([fake_result(perm=0.1)])).startswith(
        "This build has one dataset, sst")


def test_encoders_and_tasks_under_permutation():
    more = tables.summary_table(both_encoders(lstm={"perm": 0.1}, average={"perm": 0.3}), "perm_median_tvd")
    assert "more than the BiLSTM's on 1 of the 1 datasets" in perm.encoders_under_permutation(more)
    less = tables.summary_table(both_encoders(lstm={"perm": 0.3}, average={"perm": 0.1}), "perm_median_tvd")
    assert "more than the BiLSTM's on 0 of the 1 datasets" in perm.encoders_under_permutation(less)
    lone = tables.summary_table([fake_result()], "perm_median_tvd")
    assert perm.encoders_under_permutation(lone).startswith("This build has no dataset with both")
    mixed = tables.summary_table([fake_result("sst", perm=0.1), fake_result("snli", perm=0.2),
                                  fake_result("babi1", perm=0.5)], "perm_median_tvd")
    assert perm.tasks_under_permutation(mixed) == ("In this build the mean median TVD, averaged over experiments, is "
                                                   "0.100 on classification (sst); 0.200 on natural language inference "
                                                   "(snli); 0.500 on question answering (babi1).")
    assert perm.tasks_under_permutation(lone) == ("This build has classification datasets only, so the kinds of task "
                                                  "cannot be compared.")


def test_gaps_by_dataset_groups_higher_lower_and_within():
    cells = pd.DataFrame({"dataset": ["sst", "sst", "snli", "babi1"], "ours": [0.3, 0.2, 0.1, 0.5],
                          "paper": [0.1, 0.2, 0.4, 0.49]})
    assert rules.gaps_by_dataset(cells, 0.05) == ("ours are higher on sst (+0.100); lower on snli (-0.300); within "
                                                 "0.05 on babi1 (+0.010)")
    assert rules.gaps_by_dataset(cells.iloc[3:], 0.05) == "ours are within 0.05 on babi1 (+0.010)"


def test_bilstm_permutation_against_the_papers_medians():
    reproduces = perm.bilstm_against_paper(scorecard([fake_result(perm=0.03, max_attention=0.3)]))
    assert reproduces.startswith("Over the 2 (dataset, max-attention bin, predicted class) cells of the authors' "
                                 "BiLSTM violins (sst), their median output change is below 0.05 in 2 and ours in 2")
    assert reproduces.endswith("so this part of their finding reproduces here.")
    card = scorecard([fake_result(perm=0.3, max_attention=0.3)])
    moves_more, gap = perm.bilstm_against_paper(card), rules.bilstm_cells(card, "permutation median")[1]
    assert "ours in 0" in moves_more and f"on average ours is {gap:.3f} above" in moves_more
    assert moves_more.endswith(f"ours are higher on sst ({gap:+.3f}); so this part of their finding does not reproduce "
                               "here: on every dataset, permuting our BiLSTMs' attention moves their output more than it "
                               "moved the authors'.")
    assert perm.bilstm_against_paper(scorecard([fake_result(encoder="average")])).startswith(
        "The authors published no permutation medians")


def test_reproduction_verdict_names_the_datasets_where_a_finding_fails():
    cells = pd.DataFrame({"dataset": ["sst", "sst", "snli", "babi1"], "ours": [0.3, 0.2, 0.1, 0.5],
                          "paper": [0.1, 0.2, 0.4, 0.49]})
    assert rules.reproduction_verdict(cells, 0.05, True, "ours move more") == (
        "this part of their finding reproduces on 2 of 3 datasets but not on sst, where ours move more")
    assert rules.reproduction_verdict(cells, 0.05, False, "ours are less far") == (
        "this part of their finding reproduces on 2 of 3 datasets but not on snli, where ours are less far")
    assert rules.reproduction_verdict(cells.iloc[3:], 0.05, False, "x") == "this part of their finding reproduces here"
    assert rules.reproduction_verdict(cells.iloc[2:3], 0.05, False, "ours are less far") == (
        "this part of their finding does not reproduce here: on every dataset, ours are less far")


def test_permutation_findings_on_fake_results():
    results = both_encoders()
    values = permutation_findings(results, results[0])
    assert values["n_permutations"] == 20 and values["small_change"] == rules.SMALL_OUTPUT_CHANGE
    assert values["share_small_all"] == 0.0


# -- adversarial ------------------------------------------------------------------------------------------------


def test_far_attention_per_encoder():
    instances = tables.all_instances(both_encoders(lstm={"jsd": 0.6}, average={"jsd": 0.1}))
    assert adv.far_attention(instances, 0.01) == ("Within ε = 0.01, 50% of all analysed instances admit an adversarial "
                                                  "attention with JSD above 0.5 from the model's own (100% of BiLSTM "
                                                  "instances, 0% of Average-encoder instances).")
    assert adv.bilstm_far_attention(instances, 0.01).startswith("For 100% of BiLSTM instances")
    near = tables.all_instances([fake_result(jsd=0.1)])
    assert adv.bilstm_far_attention(near, 0.05).startswith("For 0% of BiLSTM instances")
    assert adv.bilstm_far_attention(tables.all_instances([fake_result(encoder="average")]), 0.01) == \
        "This build has no BiLSTM experiment."


def test_encoders_under_search():
    harder = tables.overview_table(both_encoders(lstm={"jsd": 0.6, "perm": 0.1}, average={"jsd": 0.1, "perm": 0.3}),
                                   0.01)
    assert "harder to fool than the BiLSTM (lower mean max JSD within ε) on 1 of the 1" in adv.encoders_under_search(
        harder, 0.01)
    assert "moves more than the BiLSTM's on 1 of 1." in adv.encoders_under_search(harder, 0.01)
    easier = tables.overview_table(both_encoders(lstm={"jsd": 0.1, "perm": 0.3}, average={"jsd": 0.6, "perm": 0.1}),
                                   0.01)
    assert "on 0 of the 1" in adv.encoders_under_search(easier, 0.01) and "on 0 of 1." in adv.encoders_under_search(
        easier, 0.01)
    assert adv.encoders_under_search(tables.overview_table([fake_result()], 0.01), 0.01).startswith("This build has no")


def test_bilstm_adversarial_medians_against_the_papers():
    near = adv.bilstm_against_paper(scorecard([fake_result(jsd=0.45, max_attention=0.3)]))   # theirs: 0.46 and 0.49
    assert near.startswith("Over the 2 (dataset, max-attention bin, predicted class) cells of the authors' BiLSTM "
                           "violins at ε = 0.05 (sst), their median max JSD is 0.")
    assert near.endswith("ours are within 0.05 on sst (-0.042); so this part of their finding reproduces here.")
    far = adv.bilstm_against_paper(scorecard([fake_result(jsd=0.1, max_attention=0.3)]))
    assert far.endswith("ours are lower on sst (-0.392); so this part of their finding does not reproduce here: on every "
                        "dataset, our adversary finds attention less far from the model's own than the authors' did.")
    assert adv.bilstm_against_paper(scorecard([fake_result(encoder="average")])).startswith("The authors published no")


def test_epsilon_rise():
    by_epsilon = pd.DataFrame({0.01: [0.2, 0.3], 0.05: [0.25, 0.45]},
                              index=pd.MultiIndex.from_tuples([("sst", "lstm", "tanh"), ("imdb", "average", "tanh")]))
    assert adv.epsilon_rise(by_epsilon) == ("In this build the mean max JSD within 0.05 exceeds that within 0.01 by at "
                                            "most 0.150 (imdb average+tanh).")
    assert adv.epsilon_rise(pd.DataFrame()) == "This build has no experiment with both values to compare."


def test_adversarial_findings_at_another_epsilon():
    results = both_encoders()
    values = adversarial_findings(results, results[0], 0.02)
    assert values["epsilon_used"] == 0.02 and values["figure_epsilon"] == 0.05
    assert values["far_sentence"].startswith("Within ε = 0.02")


# -- discussion -------------------------------------------------------------------------------------------------


def test_encoder_means_and_the_context_hypothesis():
    overview = tables.overview_table(both_encoders(lstm={"tau": 0.2, "jsd": 0.6, "perm": 0.1},
                                                   average={"tau": 0.6, "jsd": 0.1, "perm": 0.3}), 0.01)
    means = disc.encoder_means(overview, 0.01)
    assert means == pytest.approx({"tau_lstm": 0.2, "tau_average": 0.6, "jsd_lstm": 0.6, "jsd_average": 0.1})
    assert ("better with gradients (higher mean τ) than the BiLSTM's on 1 of the 1 datasets with both (tanh "
            "attention); shuffling its weights moves the output more on 1 of 1 classification datasets; and the "
            "adversarial search finds distant attention within ε less easily for it (lower mean max JSD) on 1 of 1."
            ) in disc.context_hypothesis(overview, 0.01)
    against = tables.overview_table(both_encoders(lstm={"tau": 0.6, "jsd": 0.1}, average={"tau": 0.2, "jsd": 0.6}),
                                    0.01)
    assert "on 0 of the 1 datasets" in disc.context_hypothesis(against, 0.01)
    qa = tables.overview_table(both_encoders("babi1"), 0.01)
    assert "more on 0 of 0 classification datasets" in disc.context_hypothesis(qa, 0.01)
    lone = tables.overview_table([fake_result()], 0.01)
    assert np.isnan(disc.encoder_means(lone, 0.01)["tau_average"])
    assert disc.context_hypothesis(lone, 0.01).startswith("This build has no dataset with both")


def test_bilstm_sensitivity():
    instances = tables.all_instances([fake_result(perm=[0.01] * 5 + [0.3] * 15, jsd=0.6)])
    assert disc.bilstm_sensitivity(instances, 0.01) == (
        "Shuffling the attention changes the output by less than 0.05 in TVD for 25% of BiLSTM instances, and within "
        "ε = 0.01 an attention with JSD above 0.5 from the model's own exists for 100% of them.")
    assert disc.bilstm_sensitivity(tables.all_instances([fake_result(encoder="average")]), 0.01) == \
        "This build has no BiLSTM experiment."


def test_adversary_against_seeds():
    same = np.tile([0.9, 0.1], (20, 1))
    other = np.tile([0.5, 0.5], (20, 1))
    runs = [fake_result(seed=0, jsd=0.6, attention_weights=same), fake_result(seed=1, attention_weights=other)]
    further = disc.adversary_against_seeds(tables.seed_attention_table(runs))
    assert further.startswith("This book re-runs that comparison: over the 1 configuration of this build") \
        and further.endswith("for 100% of the instances.")
    runs[0] = fake_result(seed=0, jsd=0.0, attention_weights=same)
    assert disc.adversary_against_seeds(tables.seed_attention_table(runs)).endswith("for 0% of the instances.")
    assert disc.adversary_against_seeds(tables.seed_attention_table([fake_result()])).startswith(
        "This build trains one seed per configuration")


def test_seeds_absent_and_partial_datasets():
    runs = [fake_result("sst", seed=s) for s in range(3)] + [fake_result("babi1", notes=["train file missing: x"])]
    assert disc.seeds_per_dataset(runs) == "3 for sst; 1 for babi1"
    assert disc.partial_datasets(runs) == ["babi1"]
    assert disc.partial_datasets(runs[:3]) == []
    assert disc.absent_datasets(runs).startswith("imdb, 20news, agnews, snli, babi2")
    values = discussion_findings(with_seeds(runs[:1] + runs[3:], runs), 0.01, seed=0)
    assert values["seeds_sentence"] == "Seeds per dataset in this build: 3 for sst; 1 for babi1. The chapters show seed 0."
    assert values["partial_datasets"] == "babi1"


def test_uniform_attention_drop():
    table = pd.DataFrame({"dataset": ["sst", "babi1"], "encoder": "lstm", "attention": "tanh", "metric": "accuracy",
                          "difference": [-0.01, -0.5]})
    assert disc.uniform_attention_drop(table) == ("In this build the score falls most for babi1 lstm+tanh (-0.500 "
                                                  "accuracy); the mean difference is -0.010 on classification (sst); "
                                                  "-0.500 on question answering (babi1).")
    assert disc.uniform_attention_drop(table.iloc[:1]).endswith("the mean difference is -0.010 on classification.")


# -- scorecard --------------------------------------------------------------------------------------------------


def test_seed_spread_findings():
    spread = pd.DataFrame({"dataset": ["sst", "imdb"], "encoder": "lstm", "attention": "tanh",
                           "statistic": "tau_attention_gradient", "min": [0.3, 0.1], "max": [0.35, 0.4],
                           "n_seeds": [3, 2]})
    assert sc.seed_spread_findings(spread) == {"tau_spread_max": pytest.approx(0.3), "tau_spread_label": "imdb lstm tanh"}
    assert sc.seed_spread_findings(spread.assign(n_seeds=1))["tau_spread_label"] == "none"


def test_closest_seed_sentence():
    closest = pd.DataFrame({"dataset": ["sst"], "encoder": "lstm", "attention": "tanh", "kind": ["Table 2"],
                            "numbers": 6, "n_seeds": 3, "mean_within": 2, "mean_difference": 0.2, "closest_seed": 1,
                            "seed_within": 5, "seed_difference": 0.05})
    sentence = sc.closest_seed_sentence(closest)
    assert isinstance(sentence, Markdown) and sentence.data.startswith(
        "The largest such difference is sst lstm+tanh, Table 2 cells: seed 1 alone differs from the paper's values by "
        "0.050 on average (5 of 6 within tolerance), the mean of its 3 seeds by 0.200 (2 of 6).")
    assert sc.closest_seed_sentence(closest.iloc[:0]).data.startswith("With one seed per configuration")


def test_seed_attention_verdict():
    further = pd.DataFrame({"seed_jsd": [0.1, 0.1, 0.1], "adversarial_jsd": [0.5, 0.5, 0.05]})
    assert sc.seed_attention_findings(further)["seed_verdict"] == "is not explained away by seed variance"
    within = further.assign(adversarial_jsd=[0.05, 0.05, 0.5])
    assert sc.seed_attention_findings(within)["seed_verdict"] == "is within what a change of seed does for most instances"
    assert sc.seed_attention_findings(pd.DataFrame())["seed_verdict"].startswith("cannot be set beside seed variance")


def test_ablation_findings():
    gaps = pd.DataFrame({"now_within": [True, False], "nearer": [True, True]})
    values = sc.ablation_findings({"frozen": [1, 2], "random": []}, gaps, "papermill x")
    assert {k: values[k] for k in ("ablations_status", "n_gaps", "n_gaps_closed", "n_gaps_nearer")} == {
        "ablations_status": "2 ablation runs in this build", "n_gaps": 2, "n_gaps_closed": 1, "n_gaps_nearer": 2}
    assert values["ablation_sentence"].data.startswith("Of the 2 out-of-tolerance numbers the ablations cover, 2 move")
    uncovered = sc.ablation_findings({"frozen": [1]}, pd.DataFrame(), "papermill x")["ablation_sentence"].data
    assert uncovered.startswith("The 1 ablation runs of this build cover no out-of-tolerance number")
    none = sc.ablation_findings({"frozen": []}, pd.DataFrame(), "papermill book/scorecard.ipynb x -p ablations True")
    assert none["ablations_status"] == "none in this build"
    assert "`papermill book/scorecard.ipynb x -p ablations True` trains and analyses them" in none["ablation_sentence"].data


def test_out_of_tolerance_numbers_are_counted_by_kind():
    card = scorecard([fake_result(tau=0.9), fake_result(seed=1, tau=0.2)])
    sentence = sc.out_of_tolerance_sentence(card)
    out = card[~card.within_tolerance]
    assert sentence.startswith(f"{len(out)} of the {len(card)} published numbers are out of tolerance (")
    assert "Table 2 cells" in sentence and "Table 2s" not in sentence
    assert f"For {int(out.paper_in_seed_range.sum())} of them the paper's value lies within the range of our seeds" \
        in sentence
    table = sc.out_of_tolerance(card)
    assert table["out of tolerance"].sum() == len(out) and table["numbers"].sum() == len(card)
    none_covered = sc.out_of_tolerance_sentence(card.assign(paper_in_seed_range=False))
    assert "For none of them does the paper's value lie within the range of our seeds: they all differ from the paper" \
        in none_covered
    assert sc.out_of_tolerance_sentence(card.assign(within_tolerance=True)) == \
        f"All {len(card)} published numbers of this build are within tolerance."


def test_strength_sentence():
    rows = [(label, it, k, med, high) for label in ("sst lstm+tanh", "sst average+tanh")
            for it, k, med, high in ((500, 1, 0.3, 0.19), (500, 5, 0.4, 0.46), (1500, 10, 0.45, 0.5))]
    strength = pd.DataFrame(rows, columns=["configuration", "iterations", "adversaries", "median", "high_median"])
    sentence = sc.strength_sentence(strength, "papermill x").data
    assert sentence.startswith("Going from the paper's setting to the strongest search changes the median max JSD by "
                               "at most 0.050.")
    assert "for SST `lstm`+`tanh` (first seed)" in sentence and "is 0.19 with one adversary and 0.46 with the paper's five" \
        in sentence
    other = sc.strength_sentence(strength[strength.configuration == "sst average+tanh"], "papermill x").data
    assert "The number of adversaries" not in other
    assert sc.strength_sentence(pd.DataFrame(), "papermill x").data == (
        "The sweep was not run in this build: `papermill x` runs it (so does the paper preset).")


def test_top_bin_findings():
    runs = [fake_result(max_attention=[0.9] * 5 + [0.2] * 15, jsd=[0.1] * 5 + [0.6] * 15)]
    assert sc.top_bin_findings(runs) == {"high_share": 0.25, "high_median": pytest.approx(0.1), "high_share_label": "0.75"}
    flat = sc.top_bin_findings([fake_result(max_attention=0.2)])
    assert flat["high_share"] == 0.0 and np.isnan(flat["high_median"])


# -- reproducibility ---------------------------------------------------------------------------------------------


def test_published_counts_are_compared():
    sizes = pd.DataFrame({"test": [4356], "vocabulary": [13826]}, index=pd.Index(["imdb"], name="dataset"))
    assert repro.imdb_test_size(sizes) == "our test sample has 4,356 reviews against their 4,356"
    assert repro.imdb_test_size(sizes.rename(index={"imdb": "sst"})) == "IMDB is not in this build to compare"
    same = sizes.rename(index={"imdb": "sst"})
    assert repro.sst_vocabulary(same) == "the SST vocabulary comes out identical to theirs (13,826 words)"
    assert repro.sst_vocabulary(same.assign(vocabulary=13000)) == "the SST vocabulary has 13,000 words against their 13,826"
    assert repro.sst_vocabulary(sizes) == "SST is not in this build to compare vocabularies"


def test_missing_files_and_computing_minutes():
    assert repro.missing_files([fake_result(notes=["the train file is missing", "other"])]) == \
        "sst: the train file is missing."
    assert repro.missing_files([fake_result()]) == "no loader reported a missing file."
    timeline = pd.DataFrame({"kind": ["experiment", "experiment", "chapter"], "train_seconds": [60, None, None],
                             "analysis_seconds": [30, 30, None]})
    assert repro.computing_minutes(timeline) == {"timeline_compute_minutes": 2.0, "timeline_experiments": 2}


def test_thread_sentence_says_whether_gradients_changed():
    assert repro.thread_sentence({"a": 0.0, "b": 0.0}) == \
        "one training step gives bit-identical gradients with 1 and with 2 threads (all 2 parameter tensors)"
    assert repro.thread_sentence({"a": 0.0, "b": 3e-8, "c": 1e-7}) == \
        "one training step's gradients differ between 1 and 2 threads in 2 of 3 parameter tensors, by up to 1.0e-07"


def test_gradient_thread_differences_are_zero_for_the_same_count_and_leave_the_model_alone():
    import torch

    from attnlib.training.threads import gradient_thread_differences
    from helpers import random_model, random_split

    model = random_model("classification", "lstm", "tanh", dtype=torch.float32)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    threads = torch.get_num_threads()
    same = gradient_thread_differences(model, random_split(16), range(16), threads=(1, 1))
    assert same and set(same.values()) == {0.0}
    assert torch.get_num_threads() == threads and not model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())


def test_reproducibility_findings_without_the_datasets_it_compares(monkeypatch):
    sizes = pd.DataFrame({"dataset": ["babi1"], "test": [10], "vocabulary": [20]})
    monkeypatch.setattr(tables, "dataset_table", lambda results: sizes)
    runs = [fake_result("babi1")]
    values = reproducibility_findings(with_seeds(runs, runs), seed=0)
    assert values["imdb_test"].startswith("IMDB is not") and values["seed_counts"] == "1 for babi1"
