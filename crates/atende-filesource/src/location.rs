//! A remote source's address as one URL: `ftp://user@host[:port]/dir` or
//! `sftp://user@host[:port]/dir`. The password never goes in the URL: it comes from
//! configuration or the environment, so a URL can be logged and stored as it is.

use crate::{Result, SourceError};

/// Which protocol a [`Location`] speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Ftp,
    Sftp,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Ftp => "ftp",
            Scheme::Sftp => "sftp",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Ftp => 21,
            Scheme::Sftp => 22,
        }
    }
}

/// A parsed source URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub scheme: Scheme,
    pub user: String,
    /// Without brackets for an IPv6 address.
    pub host: String,
    pub port: u16,
    /// The inbox directory. FTP: absolute (`/` when the URL has no path). SFTP: absolute
    /// as written (`sftp://u@h/remessas` is `/remessas`), or relative to the login
    /// directory with `/~/` (`sftp://u@h/~/remessas` is `remessas`; empty: the login
    /// directory itself), as curl reads such URLs.
    pub directory: String,
}

impl Location {
    /// `host:port`, bracketing an IPv6 address, for connecting and for messages.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn invalid(url: &str, why: &str) -> SourceError {
    SourceError::Invalid(format!("source URL {url:?}: {why}"))
}

/// Parses `ftp://…` or `sftp://…` (see [`Location`]).
pub fn parse_location(url: &str) -> Result<Location> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("ftp://") {
        (Scheme::Ftp, rest)
    } else if let Some(rest) = url.strip_prefix("sftp://") {
        (Scheme::Sftp, rest)
    } else {
        return Err(invalid(url, "must start with ftp:// or sftp://"));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (user, hostport) = authority
        .rsplit_once('@')
        .ok_or_else(|| invalid(url, "needs user@host"))?;
    if user.contains(':') {
        return Err(invalid(
            url,
            "no password in the URL: give it as a secret reference (env:NAME or file:PATH)",
        ));
    }
    if user.is_empty() {
        return Err(invalid(url, "needs a user name before @"));
    }
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let (host, after) = inner
            .split_once(']')
            .ok_or_else(|| invalid(url, "unclosed [ in the host"))?;
        (host, after.strip_prefix(':'))
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(invalid(url, "needs a host after @"));
    }
    let port = match port {
        None => scheme.default_port(),
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| invalid(url, "the port must be a number from 1 to 65535"))?,
    };
    if path.split('/').any(|part| part == "..") {
        return Err(invalid(url, "the path may not contain .."));
    }
    let directory = match scheme {
        Scheme::Ftp => {
            let d = path.trim_end_matches('/');
            if d.is_empty() {
                "/".to_string()
            } else {
                d.to_string()
            }
        }
        Scheme::Sftp => match path.strip_prefix("/~") {
            Some(rel) if rel.is_empty() || rel.starts_with('/') => {
                rel.trim_matches('/').to_string()
            }
            _ => {
                let d = path.trim_end_matches('/');
                if d.is_empty() {
                    "/".to_string()
                } else {
                    d.to_string()
                }
            }
        },
    };
    Ok(Location {
        scheme,
        user: user.to_string(),
        host: host.to_string(),
        port,
        directory,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let l = parse_location("sftp://evo@sftp.credor.com.br:2222/remessas/").unwrap();
        assert_eq!(
            l,
            Location {
                scheme: Scheme::Sftp,
                user: "evo".into(),
                host: "sftp.credor.com.br".into(),
                port: 2222,
                directory: "/remessas".into()
            }
        );
        assert_eq!(l.address(), "sftp.credor.com.br:2222");
        let l = parse_location("sftp://evo@[::1]/~/in").unwrap();
        assert_eq!((l.port, l.directory.as_str()), (22, "in"));
        assert_eq!(l.address(), "[::1]:22");
        assert_eq!(parse_location("sftp://e@h/~").unwrap().directory, "");
        assert_eq!(parse_location("sftp://e@h").unwrap().directory, "/");
        let l = parse_location("ftp://evo@10.0.0.1/out").unwrap();
        assert_eq!(
            (l.scheme, l.port, l.directory.as_str()),
            (Scheme::Ftp, 21, "/out")
        );
        assert_eq!(parse_location("ftp://evo@h").unwrap().directory, "/");
    }

    #[test]
    fn bad_urls_say_why() {
        for (url, why) in [
            ("http://evo@h/x", "ftp:// or sftp://"),
            ("sftp://evo:pw@h/x", "no password in the URL"),
            ("sftp://h/x", "user@host"),
            ("sftp://evo@:22/x", "needs a host"),
            ("sftp://evo@h:0/x", "port"),
            ("sftp://evo@h:x/x", "port"),
            ("sftp://evo@h/a/../b", ".."),
        ] {
            let e = parse_location(url).unwrap_err().to_string();
            assert!(e.contains(why), "{url}: {e}");
        }
    }
}
