//! `genesys-ctx regions`: the Genesys Cloud regions with their login and API hosts.

use genesys_auth::Region;

use super::CliError;

/// Arguments of `genesys-ctx regions`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command: prints one row per region under a header.
pub async fn run(_args: Args) -> Result<(), CliError> {
    out!("{}", table())?;
    Ok(())
}

/// The table: `REGION  LOGIN HOST  API HOST`, columns padded to their widest cell.
fn table() -> String {
    let rows: Vec<[String; 3]> = Region::ALL
        .iter()
        .map(|r| [r.name().to_owned(), r.login_host(), r.api_host()])
        .collect();
    let header = ["REGION", "LOGIN HOST", "API HOST"].map(str::to_owned);
    let mut widths = [0usize; 3];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let line = format!(
            "{:<w0$}  {:<w1$}  {}",
            row[0],
            row[1],
            row[2],
            w0 = widths[0],
            w1 = widths[1]
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_seventeen_aligned_rows() {
        let table = table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 18);
        assert!(lines[0].starts_with("REGION"), "{}", lines[0]);
        let login_col = lines[0].find("LOGIN HOST").expect("login column");
        let api_col = lines[0].find("API HOST").expect("api column");
        for (line, region) in lines[1..].iter().zip(Region::ALL) {
            let cells: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(
                cells,
                [
                    region.name(),
                    &format!("login.{}", region.domain()),
                    &format!("api.{}", region.domain())
                ]
            );
            assert_eq!(line.find("login.").expect("login host"), login_col);
            assert_eq!(line.find("api.").expect("api host"), api_col);
        }
        assert!(table.contains("us-east-1  "));
        assert!(table.contains("login.mypurecloud.com.au"));
        assert!(table.contains("api.use2.us-gov-pure.cloud"));
    }
}
