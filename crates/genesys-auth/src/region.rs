//! Genesys Cloud regions: their names, domains, login and API bases.

use std::fmt;
use std::str::FromStr;

/// A Genesys Cloud region (an AWS region name and the Genesys domain that serves it).
///
/// Parse one from its name (`us-east-1`, `US_EAST_1`) or its domain (`mypurecloud.com`,
/// `https://login.usw2.pure.cloud/`) with [`str::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Region {
    /// `us-east-1`, `mypurecloud.com`.
    UsEast1,
    /// `us-east-2` (FedRAMP), `use2.us-gov-pure.cloud`.
    UsEast2,
    /// `us-west-2`, `usw2.pure.cloud`.
    UsWest2,
    /// `ca-central-1`, `cac1.pure.cloud`.
    CaCentral1,
    /// `sa-east-1`, `sae1.pure.cloud`.
    SaEast1,
    /// `mx-central-1`, `mxc1.pure.cloud`.
    MxCentral1,
    /// `eu-west-1`, `mypurecloud.ie`.
    EuWest1,
    /// `eu-west-2`, `euw2.pure.cloud`.
    EuWest2,
    /// `eu-central-1`, `mypurecloud.de`.
    EuCentral1,
    /// `eu-central-2`, `euc2.pure.cloud`.
    EuCentral2,
    /// `me-central-1`, `mec1.pure.cloud`.
    MeCentral1,
    /// `ap-south-1`, `aps1.pure.cloud`.
    ApSouth1,
    /// `ap-southeast-1`, `apse1.pure.cloud`.
    ApSoutheast1,
    /// `ap-southeast-2`, `mypurecloud.com.au`.
    ApSoutheast2,
    /// `ap-northeast-1`, `mypurecloud.jp`.
    ApNortheast1,
    /// `ap-northeast-2`, `apne2.pure.cloud`.
    ApNortheast2,
    /// `ap-northeast-3`, `apne3.pure.cloud`.
    ApNortheast3,
}

impl Region {
    /// Every region, in the order of the Genesys documentation.
    pub const ALL: [Region; 17] = [
        Region::UsEast1,
        Region::UsEast2,
        Region::UsWest2,
        Region::CaCentral1,
        Region::SaEast1,
        Region::MxCentral1,
        Region::EuWest1,
        Region::EuWest2,
        Region::EuCentral1,
        Region::EuCentral2,
        Region::MeCentral1,
        Region::ApSouth1,
        Region::ApSoutheast1,
        Region::ApSoutheast2,
        Region::ApNortheast1,
        Region::ApNortheast2,
        Region::ApNortheast3,
    ];

    /// The region's name, e.g. `us-east-1`.
    pub const fn name(self) -> &'static str {
        match self {
            Region::UsEast1 => "us-east-1",
            Region::UsEast2 => "us-east-2",
            Region::UsWest2 => "us-west-2",
            Region::CaCentral1 => "ca-central-1",
            Region::SaEast1 => "sa-east-1",
            Region::MxCentral1 => "mx-central-1",
            Region::EuWest1 => "eu-west-1",
            Region::EuWest2 => "eu-west-2",
            Region::EuCentral1 => "eu-central-1",
            Region::EuCentral2 => "eu-central-2",
            Region::MeCentral1 => "me-central-1",
            Region::ApSouth1 => "ap-south-1",
            Region::ApSoutheast1 => "ap-southeast-1",
            Region::ApSoutheast2 => "ap-southeast-2",
            Region::ApNortheast1 => "ap-northeast-1",
            Region::ApNortheast2 => "ap-northeast-2",
            Region::ApNortheast3 => "ap-northeast-3",
        }
    }

    /// The region's domain, e.g. `mypurecloud.com`.
    pub const fn domain(self) -> &'static str {
        match self {
            Region::UsEast1 => "mypurecloud.com",
            Region::UsEast2 => "use2.us-gov-pure.cloud",
            Region::UsWest2 => "usw2.pure.cloud",
            Region::CaCentral1 => "cac1.pure.cloud",
            Region::SaEast1 => "sae1.pure.cloud",
            Region::MxCentral1 => "mxc1.pure.cloud",
            Region::EuWest1 => "mypurecloud.ie",
            Region::EuWest2 => "euw2.pure.cloud",
            Region::EuCentral1 => "mypurecloud.de",
            Region::EuCentral2 => "euc2.pure.cloud",
            Region::MeCentral1 => "mec1.pure.cloud",
            Region::ApSouth1 => "aps1.pure.cloud",
            Region::ApSoutheast1 => "apse1.pure.cloud",
            Region::ApSoutheast2 => "mypurecloud.com.au",
            Region::ApNortheast1 => "mypurecloud.jp",
            Region::ApNortheast2 => "apne2.pure.cloud",
            Region::ApNortheast3 => "apne3.pure.cloud",
        }
    }

    /// The login host, e.g. `login.mypurecloud.com`.
    pub fn login_host(self) -> String {
        format!("login.{}", self.domain())
    }

    /// The API host, e.g. `api.mypurecloud.com`.
    pub fn api_host(self) -> String {
        format!("api.{}", self.domain())
    }

    /// The login base URL, e.g. `https://login.mypurecloud.com` (no trailing slash).
    pub fn login_base(self) -> String {
        format!("https://login.{}", self.domain())
    }

    /// The API base URL, e.g. `https://api.mypurecloud.com` (no trailing slash).
    pub fn api_base(self) -> String {
        format!("https://api.{}", self.domain())
    }

    /// Finds a region by name (`us-east-1`, `us_east_1`, any case) or by domain
    /// (`mypurecloud.com`, `login.usw2.pure.cloud`, `https://api.mypurecloud.de/`).
    pub fn parse(input: &str) -> Result<Region, ParseRegionError> {
        let trimmed = input.trim();
        let lower = trimmed.to_ascii_lowercase();
        let as_name = lower.replace('_', "-");
        if let Some(region) = Region::ALL.iter().find(|r| r.name() == as_name) {
            return Ok(*region);
        }
        let host = host_of(&lower);
        Region::ALL
            .iter()
            .find(|r| host == r.domain())
            .or_else(|| {
                ["login.", "api.", "apps."].iter().find_map(|prefix| {
                    let rest = host.strip_prefix(prefix)?;
                    Region::ALL.iter().find(|r| rest == r.domain())
                })
            })
            .copied()
            .ok_or_else(|| ParseRegionError {
                input: trimmed.to_owned(),
            })
    }
}

/// The host part of a URL-ish string: scheme, path, port and a trailing dot removed.
fn host_of(s: &str) -> &str {
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let s = s.split(['/', '?', '#']).next().unwrap_or(s);
    let s = s.split(':').next().unwrap_or(s);
    s.strip_suffix('.').unwrap_or(s)
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Region {
    type Err = ParseRegionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::parse(s)
    }
}

/// The input names no Genesys Cloud region. Its message lists the valid names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown Genesys Cloud region `{input}`; valid regions: {}",
    valid_names()
)]
pub struct ParseRegionError {
    input: String,
}

impl ParseRegionError {
    /// What was given.
    pub fn input(&self) -> &str {
        &self.input
    }
}

fn valid_names() -> String {
    Region::ALL
        .iter()
        .map(|r| r.name())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_seventeen_regions_are_distinct() {
        let mut names: Vec<_> = Region::ALL.iter().map(|r| r.name()).collect();
        let mut domains: Vec<_> = Region::ALL.iter().map(|r| r.domain()).collect();
        names.sort_unstable();
        names.dedup();
        domains.sort_unstable();
        domains.dedup();
        assert_eq!(names.len(), 17);
        assert_eq!(domains.len(), 17);
    }

    #[test]
    fn contract_table() {
        let expected = [
            ("us-east-1", "mypurecloud.com"),
            ("us-east-2", "use2.us-gov-pure.cloud"),
            ("us-west-2", "usw2.pure.cloud"),
            ("ca-central-1", "cac1.pure.cloud"),
            ("sa-east-1", "sae1.pure.cloud"),
            ("mx-central-1", "mxc1.pure.cloud"),
            ("eu-west-1", "mypurecloud.ie"),
            ("eu-west-2", "euw2.pure.cloud"),
            ("eu-central-1", "mypurecloud.de"),
            ("eu-central-2", "euc2.pure.cloud"),
            ("me-central-1", "mec1.pure.cloud"),
            ("ap-south-1", "aps1.pure.cloud"),
            ("ap-southeast-1", "apse1.pure.cloud"),
            ("ap-southeast-2", "mypurecloud.com.au"),
            ("ap-northeast-1", "mypurecloud.jp"),
            ("ap-northeast-2", "apne2.pure.cloud"),
            ("ap-northeast-3", "apne3.pure.cloud"),
        ];
        for (name, domain) in expected {
            let by_name = Region::parse(name).expect(name);
            assert_eq!(by_name.domain(), domain);
            assert_eq!(Region::parse(domain), Ok(by_name));
            assert_eq!(by_name.login_base(), format!("https://login.{domain}"));
            assert_eq!(by_name.api_base(), format!("https://api.{domain}"));
            assert_eq!(by_name.login_host(), format!("login.{domain}"));
            assert_eq!(by_name.api_host(), format!("api.{domain}"));
        }
    }

    #[test]
    fn every_region_round_trips_by_name_underscore_case_and_domain() {
        for region in Region::ALL {
            let name = region.name();
            assert_eq!(name.parse::<Region>(), Ok(region));
            assert_eq!(Region::parse(&name.replace('-', "_")), Ok(region));
            assert_eq!(Region::parse(&name.to_ascii_uppercase()), Ok(region));
            assert_eq!(
                Region::parse(&name.replace('-', "_").to_ascii_uppercase()),
                Ok(region)
            );
            assert_eq!(Region::parse(&format!("  {name} ")), Ok(region));
            assert_eq!(Region::parse(region.domain()), Ok(region));
            assert_eq!(Region::parse(&region.login_host()), Ok(region));
            assert_eq!(Region::parse(&region.api_host()), Ok(region));
            assert_eq!(Region::parse(&region.login_base()), Ok(region));
            assert_eq!(
                Region::parse(&format!("{}/oauth/token", region.api_base())),
                Ok(region)
            );
            assert_eq!(
                Region::parse(&region.domain().to_ascii_uppercase()),
                Ok(region)
            );
            assert_eq!(region.to_string(), name);
        }
    }

    #[test]
    fn examples_from_the_issue() {
        assert_eq!(Region::parse("us-east-1"), Ok(Region::UsEast1));
        assert_eq!(Region::parse("us_east_1"), Ok(Region::UsEast1));
        assert_eq!(Region::parse("mypurecloud.com"), Ok(Region::UsEast1));
        assert_eq!(Region::parse("usw2.pure.cloud"), Ok(Region::UsWest2));
        assert_eq!(
            Region::parse("https://login.mypurecloud.com.au/"),
            Ok(Region::ApSoutheast2)
        );
        assert_eq!(
            Region::parse("http://api.mypurecloud.ie:443"),
            Ok(Region::EuWest1)
        );
    }

    #[test]
    fn unknown_region_lists_valid_names() {
        for bad in [
            "",
            "us-east-9",
            "mars-1",
            "pure.cloud",
            "evil.mypurecloud.com",
            "mypurecloud.com.evil",
            "login.",
            "uswest2",
        ] {
            let err = Region::parse(bad).expect_err(bad);
            assert_eq!(err.input(), bad);
            let msg = err.to_string();
            assert!(msg.contains(&format!("`{bad}`")), "{msg}");
            for region in Region::ALL {
                assert!(msg.contains(region.name()), "{msg} lacks {region}");
            }
        }
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_casing_prefix_and_suffix_of_a_domain_parses(
            index in 0usize..17,
            upper in prop::collection::vec(any::<bool>(), 40),
            scheme in prop::sample::select(vec!["", "https://", "http://"]),
            prefix in prop::sample::select(vec!["", "login.", "api."]),
            suffix in prop::sample::select(vec!["", "/", "/oauth/token", ":443"]),
        ) {
            let region = Region::ALL[index];
            let domain: String = region
                .domain()
                .chars()
                .zip(upper.iter().cycle())
                .map(|(c, up)| if *up { c.to_ascii_uppercase() } else { c })
                .collect();
            let input = format!("{scheme}{prefix}{domain}{suffix}");
            prop_assert_eq!(Region::parse(&input), Ok(region));
        }

        #[test]
        fn parse_never_panics_and_unknown_input_names_itself(input in "\\PC{0,40}") {
            match Region::parse(&input) {
                Ok(region) => prop_assert!(Region::ALL.contains(&region)),
                Err(e) => prop_assert_eq!(e.input(), input.trim()),
            }
        }
    }
}
