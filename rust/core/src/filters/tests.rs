use proptest::prelude::*;

use super::*;

fn all() -> FilterConfig {
    FilterConfig {
        gopher_quality: Some(GopherQualityParams::default()),
        gopher_repetition: Some(GopherRepetitionParams::default()),
        c4: Some(C4Params::default()),
        fineweb: Some(FineWebParams::default()),
        language: "en".into(),
    }
}

const GOOD: &str = "The quick brown fox jumps over the lazy dog and runs to the river. \
It is a good day to be out with friends, and the sun is warm.\n\
Many people have come to see the show that opens tonight in the old theatre.\n\
They say the actors have worked for months to be ready for the first night.\n\
Nobody knows what will happen, but everyone hopes that it goes well.\n\
After the show the crowd walks home through the quiet streets of the town.\n";

#[test]
fn good_text_passes_everything() {
    let out = filter_texts(&[GOOD], &all()).unwrap();
    assert_eq!(out.rule_sets, RULE_SETS.to_vec());
    for r in 0..4 {
        assert!(
            out.keep[r][0],
            "{} {:?}",
            out.rule_sets[r], out.reason[r][0]
        );
        assert_eq!(out.reason[r][0], None);
    }
    let c4 = out.c4_text.as_ref().unwrap()[0].as_deref().unwrap();
    assert_eq!(c4, GOOD.trim());
    assert_eq!(out.stat_names.len(), out.stats.len());
}

#[test]
fn reasons_name_the_first_failing_rule() {
    let out = filter_texts(&["short text.", ""], &all()).unwrap();
    assert_eq!(out.reason[0][0].as_deref(), Some("gopher_short_doc"));
    assert_eq!(out.reason[1][1].as_deref(), Some("empty"));
    assert_eq!(out.reason[2][0].as_deref(), Some("too_few_sentences"));
    assert_eq!(out.reason[3][1].as_deref(), Some("empty"));
    let curly = format!("{GOOD}This line has a brace {{ in it, see.\n");
    let out = filter_texts(&[&curly], &all()).unwrap();
    assert_eq!(out.reason[2][0].as_deref(), Some("curly_bracket"));
}

#[test]
fn c4_removes_lines() {
    let text = format!("{GOOD}Menu\nEnable JavaScript to see this page, please.\n");
    let out = filter_texts(&[&text], &all()).unwrap();
    assert!(out.keep[2][0]);
    assert_eq!(
        out.c4_text.as_ref().unwrap()[0].as_deref(),
        Some(GOOD.trim())
    );
    let removed = out
        .stat_names
        .iter()
        .position(|s| s == "c4_lines_removed")
        .unwrap();
    assert_eq!(out.stats[removed][0], 2.0);
}

#[test]
fn repetition_catches_repeats() {
    let text = "the same line again and again\n".repeat(20);
    let out = filter_texts(&[&text], &all()).unwrap();
    // One paragraph (no blank line), 21 lines of which 19 repeat an earlier one.
    assert_eq!(out.reason[1][0].as_deref(), Some("dup_line_frac"));
    let at = out
        .stat_names
        .iter()
        .position(|s| s == "dup_line_frac")
        .unwrap();
    assert_eq!(out.stats[at][0], 19.0 / 21.0);
}

#[test]
fn bad_configs_are_refused() {
    assert!(filter_texts(&["x"], &FilterConfig::default()).is_err());
    let mut cfg = all();
    cfg.language = "fr".into();
    let e = filter_texts(&["x"], &cfg).unwrap_err().to_string();
    assert!(e.contains("language"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn thread_count_does_not_matter(texts in proptest::collection::vec("[a-z .,!?'\n#{}-]{0,200}", 1..40)) {
        let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let four = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
        let a = one.install(|| filter_texts(&refs, &all())).unwrap();
        let b = four.install(|| filter_texts(&refs, &all())).unwrap();
        // NaN != NaN: compare bit patterns of the statistics.
        prop_assert_eq!(&a.keep, &b.keep);
        prop_assert_eq!(&a.reason, &b.reason);
        prop_assert_eq!(&a.c4_text, &b.c4_text);
        let bits = |o: &FilterOutput| o.stats.iter().map(|c| c.iter().map(|x| x.to_bits()).collect::<Vec<_>>()).collect::<Vec<_>>();
        prop_assert_eq!(bits(&a), bits(&b));
    }

    #[test]
    fn stats_invariants(text in "[a-zA-Z0-9 .,!?'\n\u{e9}\u{2026}-]{0,400}") {
        let out = filter_texts(&[&text], &all()).unwrap();
        let get = |n: &str| out.stats[out.stat_names.iter().position(|s| s == n).unwrap()][0];
        prop_assert!(get("gopher_n_non_symbol_words") <= get("gopher_n_words"));
        for n in ["dup_para_frac", "dup_line_frac", "dup_line_char_frac", "dup_5gram_char_frac"] {
            let v = get(n);
            prop_assert!(v.is_nan() || (0.0..=1.0).contains(&v), "{} = {}", n, v);
        }
        prop_assert!(get("c4_lines_removed") <= get("c4_n_lines"));
        // Words are substrings of the text, without whitespace, in order.
        let s = words::Splitter::for_language("en").unwrap();
        let mut scratch = Vec::new();
        s.tokens(&text, &mut scratch);
        let mut at = 0;
        for t in &scratch {
            prop_assert!(t.start >= at && t.end > t.start);
            at = t.end;
        }
        let kept = out.keep.iter().map(|k| k[0]).collect::<Vec<_>>();
        for (r, k) in kept.iter().enumerate() {
            prop_assert_eq!(*k, out.reason[r][0].is_none());
        }
    }
}
