//! GPT-2-, Llama-3- and Llama-2-style `tokenizer.json` files (written by
//! `scripts/make_token_fixtures.py` with the Python `tokenizers` package) load, and
//! their counts equal the package's on texts with look-ahead whitespace, Unicode,
//! contractions and a long run of spaces.

use std::path::PathBuf;

use thresher_core::tokens::TokenCounter;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[test]
fn gpt2_llama3_and_llama2_style_tokenizers_count_as_the_python_package() {
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("tokens_expected.json")).unwrap())
            .unwrap();
    let samples: Vec<String> = expected["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    for name in ["gpt2", "llama3", "llama2"] {
        let counter =
            TokenCounter::from_file(fixtures().join(format!("{name}.tokenizer.json"))).unwrap();
        let want: Vec<u32> = expected["counts"][name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(counter.count(&samples, 0).unwrap(), want, "{name}");
    }
}
