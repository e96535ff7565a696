//! The scan's work, counted in tests: each candidate the scan loop examines and each byte it
//! copies or scans again. Every recognizer reads a bounded number of bytes around its
//! candidate (digit runs of at most 20, look-behinds of at most 64 bytes, one word, one token),
//! so this count bounds the scan's cost; the property test below checks that it grows linearly
//! with the input whatever the input is. Outside tests the count compiles to nothing.

#[cfg(test)]
thread_local! {
    static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts `n` steps of work (nothing outside tests).
#[inline(always)]
pub(super) fn step(n: usize) {
    #[cfg(test)]
    STEPS.with(|s| s.set(s.get() + n as u64));
    #[cfg(not(test))]
    let _ = n;
}

#[cfg(test)]
mod tests {
    use super::STEPS;
    use proptest::prelude::*;

    /// The steps of scanning `text` for every entity.
    fn steps_of(text: &str) -> u64 {
        STEPS.with(|s| s.set(0));
        let mut out = Vec::new();
        super::super::scan(text, 0x7f, &mut out);
        STEPS.with(|s| s.get())
    }

    /// Fragments that start, continue, fold or end values: digits and their separators, IPv6
    /// colons, address parts, IBAN groups, Unicode digits, dashes and spaces, line breaks.
    const PIECES: &[&str] = &[
        "1",
        "55",
        "4111",
        "0",
        "-",
        ".",
        "/",
        ":",
        "::",
        "@",
        "a",
        "0A",
        "x@y.io",
        "jane.",
        " ",
        "\n",
        "+",
        "(",
        ")",
        "#",
        "DE89",
        "3704",
        "\u{a0}",
        "\u{2014}",
        "\u{2011}",
        "\u{ff14}",
        "\u{663}",
        "\u{3000}",
        "555-123-4567",
        "version ",
        "order ",
        "\u{e9}",
        "_",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        /// Sixteen times any input (a fragment mix repeated, so the two texts hold the same
        /// things) takes sixteen times the steps, give or take its ends: no input makes the
        /// scan re-read what it has passed.
        #[test]
        fn sixteen_times_the_input_takes_sixteen_times_the_steps(
            unit in prop::collection::vec(prop::sample::select(PIECES), 1..40),
        ) {
            let unit = unit.concat();
            let small = unit.repeat((8 << 10) / unit.len() + 1);
            let large = small.repeat(16);
            let (s, l) = (steps_of(&small), steps_of(&large));
            prop_assert!(
                l <= 16 * s + 4096,
                "{:?}: {} bytes in {} steps, {} bytes in {} steps",
                unit,
                small.len(),
                s,
                large.len(),
                l
            );
        }
    }

    #[test]
    fn glued_addresses_that_displace_each_other_are_scanned_in_linear_steps() {
        // Each address here takes the previous one's tail as its local part; scanning what
        // each displaced again, recursively, once made this exponential.
        let unit = "\u{ff14}jane.\u{ff14}._x@y.io0x@y.io+DE89";
        let small = steps_of(&unit.repeat(64));
        let large = steps_of(&unit.repeat(64 * 16));
        assert!(large <= 16 * small + 4096, "{small} then {large}");
    }

    #[test]
    fn the_count_sees_the_work_of_scanning() {
        // A text with candidates takes steps; more of it takes more.
        let one = steps_of("call 555-123-4567 or jane@example.com\n");
        let ten = steps_of(&"call 555-123-4567 or jane@example.com\n".repeat(10));
        assert!(one > 0 && ten >= 9 * one, "{one} then {ten}");
    }
}
