use pii_mask::Masker;

#[test]
fn scratch() {
    let m = Masker::default();
    for s in ["+44 (0)20 7946 0958", "x +44 (0)20 7946 0958", "+44(0)2079460958",
        "My order #12345 is delayed. Contact me at 555-123-4567 or test@example.com.",
        "call (555) 123-4567 or 555.123.4567 or 555 123 4567 or +1 555 123 4567 or 1-800-555-1234",
        "uk +44 20 7946 0958, +44 (0)20 7946 0958, +447911123456, de +49 30 1234567, fr +33 6 12 34 56 78, au +61 412 345 678",
        "card 4111 1111 1111 1111, 4111-1111-1111-1111, 5555555555554444, amex 3782 822463 10005, bad 4111 1111 1111 1112",
        "ssn 123-45-6789 and 666-45-6789, ssn: 123456789",
        "iban GB82 WEST 1234 5698 7654 32 and DE89370400440532013000.",
        "ip 192.168.1.10 and 2001:db8::1 and fe80::1. time 10:30:45, version 1.2.3.4",
        "Springfield, IL 62704 and Austin, TX 78701-1234, zip: 90210, order 90210, New York 10001",
        "uuid 123e4567-e89b-12d3-a456-426614174000 ts 1700000000123 amount $1234567890 date 2024-01-15",
        "josé@example.com, 写信给我test@example.com谢谢",
    ] {
        let out = m.mask(s);
        println!("{}\n  {:?}", out.text, out.findings.iter().map(|f| f.entity.as_str()).collect::<Vec<_>>());
    }
}
