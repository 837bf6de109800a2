//! Credentials: communities (v1/v2c) and SNMPv3 USM users. Secrets are
//! never printed (`Debug` elides them).

use std::net::IpAddr;

use ipnetwork::IpNetwork;
use snmp2::v3::{Auth, AuthProtocol, Cipher, KeyExtension, Security};
use snmp2::Version;

use crate::secret::Secret;

/// SNMPv3 USM credentials. Keys are secrets: never printed (Debug elides them).
#[derive(Clone, PartialEq, Eq)]
pub struct Usm {
    pub user: String,
    /// `None`: noAuthNoPriv.
    pub auth: Option<(UsmAuth, String)>,
    /// `None`: no privacy. Needs `auth`.
    pub privacy: Option<(UsmPriv, String)>,
    pub context: String,
}

impl std::fmt::Debug for Usm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Usm")
            .field("user", &self.user)
            .field("auth", &self.auth.as_ref().map(|(p, _)| p))
            .field("privacy", &self.privacy.as_ref().map(|(p, _)| p))
            .finish()
    }
}

/// USM authentication protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UsmAuth {
    Md5,
    #[default]
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

/// USM privacy protocols. AES-192 and AES-256 need a key longer than
/// SHA-1 or MD5 localise: the standard extension (draft-blumenthal-aes-usm,
/// net-snmp's `AES-192`) and the one Cisco uses (draft-reeder 3DES key
/// extension, net-snmp's `AES-192-C`) give different keys, so both exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UsmPriv {
    Des,
    #[default]
    Aes128,
    Aes192,
    Aes256,
    Aes192Cisco,
    Aes256Cisco,
}

/// A protocol name that is none of the accepted spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} protocol '{given}' (one of: {accepted})")]
pub struct UnknownProtocol {
    pub what: &'static str,
    pub given: String,
    pub accepted: &'static str,
}

/// `s` upper-cased without the separators net-snmp's spellings differ by
/// (`SHA-256`, `sha256`, `AES_256`).
fn squash(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .collect::<String>()
        .to_ascii_uppercase()
}

impl std::str::FromStr for UsmAuth {
    type Err = UnknownProtocol;

    /// net-snmp's spellings (`-a MD5|SHA|SHA-224|SHA-256|SHA-384|SHA-512`),
    /// any case, with or without the dash.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match squash(s).as_str() {
            "MD5" => UsmAuth::Md5,
            "SHA" | "SHA1" => UsmAuth::Sha1,
            "SHA224" => UsmAuth::Sha224,
            "SHA256" => UsmAuth::Sha256,
            "SHA384" => UsmAuth::Sha384,
            "SHA512" => UsmAuth::Sha512,
            _ => {
                return Err(UnknownProtocol {
                    what: "authentication",
                    given: s.to_string(),
                    accepted: "MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512",
                })
            }
        })
    }
}

impl std::str::FromStr for UsmPriv {
    type Err = UnknownProtocol;

    /// net-snmp's spellings (`-x DES|AES|AES-192|AES-256|AES-192-C|AES-256-C`),
    /// any case, with or without the dashes; `AES-128` is `AES`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match squash(s).as_str() {
            "DES" => UsmPriv::Des,
            "AES" | "AES128" => UsmPriv::Aes128,
            "AES192" => UsmPriv::Aes192,
            "AES256" => UsmPriv::Aes256,
            "AES192C" => UsmPriv::Aes192Cisco,
            "AES256C" => UsmPriv::Aes256Cisco,
            _ => {
                return Err(UnknownProtocol {
                    what: "privacy",
                    given: s.to_string(),
                    accepted: "DES, AES, AES-192, AES-256, AES-192-C, AES-256-C",
                })
            }
        })
    }
}

impl UsmAuth {
    /// net-snmp's name.
    pub fn name(self) -> &'static str {
        match self {
            UsmAuth::Md5 => "MD5",
            UsmAuth::Sha1 => "SHA",
            UsmAuth::Sha224 => "SHA-224",
            UsmAuth::Sha256 => "SHA-256",
            UsmAuth::Sha384 => "SHA-384",
            UsmAuth::Sha512 => "SHA-512",
        }
    }
}

impl UsmPriv {
    /// net-snmp's name.
    pub fn name(self) -> &'static str {
        match self {
            UsmPriv::Des => "DES",
            UsmPriv::Aes128 => "AES",
            UsmPriv::Aes192 => "AES-192",
            UsmPriv::Aes256 => "AES-256",
            UsmPriv::Aes192Cisco => "AES-192-C",
            UsmPriv::Aes256Cisco => "AES-256-C",
        }
    }
}

impl Usm {
    pub(crate) fn security(&self) -> Security {
        let key = self.auth.as_ref().map_or(&[][..], |(_, k)| k.as_bytes());
        let mut s = Security::new(self.user.as_bytes(), key).with_context_name(&self.context);
        if let Some((proto, _)) = &self.auth {
            s = s.with_auth_protocol(match proto {
                UsmAuth::Md5 => AuthProtocol::Md5,
                UsmAuth::Sha1 => AuthProtocol::Sha1,
                UsmAuth::Sha224 => AuthProtocol::Sha224,
                UsmAuth::Sha256 => AuthProtocol::Sha256,
                UsmAuth::Sha384 => AuthProtocol::Sha384,
                UsmAuth::Sha512 => AuthProtocol::Sha512,
            });
        }
        if let Some((cipher, _)) = &self.privacy {
            s = s.with_key_extension_method(match cipher {
                UsmPriv::Aes192Cisco | UsmPriv::Aes256Cisco => KeyExtension::Reeder,
                _ => KeyExtension::Blumenthal,
            });
        }
        s.with_auth(match (&self.auth, &self.privacy) {
            (None, _) => Auth::NoAuthNoPriv,
            (Some(_), None) => Auth::AuthNoPriv,
            (Some(_), Some((cipher, key))) => Auth::AuthPriv {
                cipher: match cipher {
                    UsmPriv::Des => Cipher::Des,
                    UsmPriv::Aes128 => Cipher::Aes128,
                    UsmPriv::Aes192 | UsmPriv::Aes192Cisco => Cipher::Aes192,
                    UsmPriv::Aes256 | UsmPriv::Aes256Cisco => Cipher::Aes256,
                },
                privacy_password: key.as_bytes().to_vec(),
            },
        })
    }
}

/// Where a credential may be sent: everywhere (no prefixes), or only to
/// addresses inside these prefixes. A community scoped to one site never
/// leaves the machine towards another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope(pub Vec<IpNetwork>);

impl Scope {
    /// Whether a credential of this scope may be sent to `ip`.
    pub fn covers(&self, ip: IpAddr) -> bool {
        self.0.is_empty() || self.0.iter().any(|n| n.contains(ip))
    }
}

/// A credential (or a community, or a user) with the name the scan file
/// gives it (never its secret) and its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named<T> {
    pub name: String,
    pub scope: Scope,
    pub value: T,
}

impl<T> Named<T> {
    /// Sent anywhere.
    pub fn everywhere(name: impl Into<String>, value: T) -> Named<T> {
        Named {
            name: name.into(),
            scope: Scope::default(),
            value,
        }
    }
}

impl From<&str> for Named<Secret> {
    /// A community for anywhere, named "community" (tests, defaults).
    fn from(community: &str) -> Self {
        Named::everywhere("community", Secret::new(community))
    }
}

impl From<Usm> for Named<Usm> {
    fn from(u: Usm) -> Self {
        Named::everywhere("v3 user", u)
    }
}

/// A credential: a community with v1 or v2c, or a USM user (v3).
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    Community(Version, String),
    Usm(Usm),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Community(v, _) => write!(f, "Community({v:?}, <secret>)"),
            Credential::Usm(u) => u.fmt(f),
        }
    }
}

impl Credential {
    /// The protocol version the credential speaks.
    pub fn version(&self) -> Version {
        match self {
            Credential::Community(v, _) => *v,
            Credential::Usm(_) => Version::V3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_snmp_spellings_are_accepted_in_any_case() {
        for (s, want) in [
            ("SHA", UsmAuth::Sha1),
            ("sha", UsmAuth::Sha1),
            ("SHA-1", UsmAuth::Sha1),
            ("md5", UsmAuth::Md5),
            ("SHA-256", UsmAuth::Sha256),
            ("sha512", UsmAuth::Sha512),
        ] {
            assert_eq!(s.parse::<UsmAuth>(), Ok(want), "{s}");
        }
        for (s, want) in [
            ("AES", UsmPriv::Aes128),
            ("aes128", UsmPriv::Aes128),
            ("AES-256", UsmPriv::Aes256),
            ("aes192", UsmPriv::Aes192),
            ("AES-256-C", UsmPriv::Aes256Cisco),
            ("AES192C", UsmPriv::Aes192Cisco),
            ("des", UsmPriv::Des),
        ] {
            assert_eq!(s.parse::<UsmPriv>(), Ok(want), "{s}");
        }
        let e = "3DES".parse::<UsmPriv>().unwrap_err().to_string();
        assert!(
            e.starts_with("unknown privacy protocol '3DES' (one of: DES, AES"),
            "{e}"
        );
        for p in [UsmPriv::Aes192Cisco, UsmPriv::Aes256, UsmPriv::Des] {
            assert_eq!(p.name().parse::<UsmPriv>(), Ok(p));
        }
    }
}
