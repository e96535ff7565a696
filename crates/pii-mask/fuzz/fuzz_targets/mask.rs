//! Any bytes that are UTF-8: masking never panics, findings are ordered, disjoint and on
//! character boundaries, and everything outside them is kept.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pii_mask::{Masker, Operator, PseudonymKey};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let label = Masker::default();
    let out = label.mask(text);
    let mut expected = String::new();
    let mut prev = 0;
    for f in &out.findings {
        assert!(f.start >= prev && f.start < f.end && f.end <= text.len());
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        expected.push_str(&text[prev..f.start]);
        expected.push_str(&format!("[{}_REDACTED]", f.entity));
        prev = f.end;
    }
    expected.push_str(&text[prev..]);
    assert_eq!(out.text, expected);

    for op in [Operator::Partial { keep_last: 4 }, Operator::Pseudonym] {
        let m = Masker::builder()
            .operator(op)
            .pseudonym_key(PseudonymKey::new(vec![1u8; 32]).expect("32 bytes"))
            .build()
            .expect("valid");
        assert_eq!(m.find(text).len(), out.findings.len());
        let _ = m.mask(text);
    }
});
