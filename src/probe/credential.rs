//! Credentials: communities (v1/v2c) and SNMPv3 USM users. Secrets are
//! never printed (`Debug` elides them).

use snmp2::v3::{Auth, AuthProtocol, Cipher, Security};
use snmp2::Version;

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

/// USM privacy protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UsmPriv {
    Des,
    #[default]
    Aes128,
    Aes192,
    Aes256,
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
        s.with_auth(match (&self.auth, &self.privacy) {
            (None, _) => Auth::NoAuthNoPriv,
            (Some(_), None) => Auth::AuthNoPriv,
            (Some(_), Some((cipher, key))) => Auth::AuthPriv {
                cipher: match cipher {
                    UsmPriv::Des => Cipher::Des,
                    UsmPriv::Aes128 => Cipher::Aes128,
                    UsmPriv::Aes192 => Cipher::Aes192,
                    UsmPriv::Aes256 => Cipher::Aes256,
                },
                privacy_password: key.as_bytes().to_vec(),
            },
        })
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
