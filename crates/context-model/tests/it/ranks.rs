//! The compiled-in rank files are exactly tiktoken-rs's ranks. `UPDATE_RANKS=1 cargo test -p
//! context-model ranks` rewrites them from tiktoken-rs (after a tiktoken-rs upgrade).

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use context_model::{BpeCounter, Encoding};

fn expected_file(core: &tiktoken_rs::CoreBPE) -> Vec<u8> {
    let special: HashSet<u32> = core
        .special_tokens()
        .into_iter()
        .flat_map(|s| core.encode_with_special_tokens(s))
        .collect();
    // Both vocabularies have fewer than 210,000 ranks; ids without a token are skipped.
    let tokens: BTreeMap<u32, Vec<u8>> = (0..210_000)
        .filter(|rank| !special.contains(rank))
        .filter_map(|rank| core.decode_bytes(&[rank]).ok().map(|b| (rank, b)))
        .collect();
    let n = tokens.keys().next_back().map_or(0, |&r| r + 1);
    let mut file = b"BPERANK1".to_vec();
    file.extend_from_slice(&n.to_le_bytes());
    for rank in 0..n {
        let len = tokens.get(&rank).map_or(0, Vec::len);
        file.push(u8::try_from(len).expect("tokens are at most 255 bytes"));
    }
    for token in tokens.values() {
        file.extend_from_slice(token);
    }
    file
}

#[test]
fn rank_files_are_tiktoken_rs_ranks() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data");
    for (name, core) in [
        ("o200k_base", tiktoken_rs::o200k_base_singleton()),
        ("cl100k_base", tiktoken_rs::cl100k_base_singleton()),
    ] {
        let path = data.join(format!("{name}.ranks"));
        let expected = expected_file(core);
        if std::env::var_os("UPDATE_RANKS").is_some() {
            std::fs::write(&path, &expected).expect("write ranks file");
        }
        let actual = std::fs::read(&path).expect("ranks file readable");
        assert!(
            actual == expected,
            "{}: differs from tiktoken-rs's ranks; regenerate with UPDATE_RANKS=1",
            path.display()
        );
    }
}

#[test]
fn loaded_tables_report_their_memory() {
    let o200k = BpeCounter::new(Encoding::O200kBase).unwrap().table_bytes();
    let cl100k = BpeCounter::new(Encoding::Cl100kBase).unwrap().table_bytes();
    // Index (8 bytes a slot, at most half full) plus the token bytes: a few MB, o200k twice cl100k.
    assert!((2_000_000..8_000_000).contains(&o200k), "{o200k}");
    assert!((1_000_000..4_000_000).contains(&cl100k), "{cl100k}");
    assert!(o200k > cl100k);
}
