//! Giving root up once the raw sockets are open (`--user`): the process
//! that decodes what devices send runs as an unprivileged account, with no
//! supplementary groups, no capabilities and no way back.

use nix::unistd::{Gid, Uid, User};

use crate::error::Error;

/// The account a root run gives root up for, as the user database has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// What the process is after giving root up, read back from the kernel
/// (not what was asked for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Real, effective and saved user ids.
    pub uids: [u32; 3],
    /// Real, effective and saved group ids.
    pub gids: [u32; 3],
    pub groups: Vec<u32>,
    /// Effective capabilities (`CapEff` of /proc/self/status), when known.
    pub capabilities: Option<u64>,
    /// No exec can give privileges back (`PR_SET_NO_NEW_PRIVS`).
    pub no_new_privs: bool,
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [ruid, euid, suid] = self.uids;
        let [rgid, egid, sgid] = self.gids;
        write!(
            f,
            "uid {ruid}/{euid}/{suid}, gid {rgid}/{egid}/{sgid}, groups {:?}",
            self.groups
        )?;
        match self.capabilities {
            Some(c) => write!(f, ", capabilities {c:#x}")?,
            None => write!(f, ", capabilities unknown")?,
        }
        write!(f, ", no_new_privs {}", self.no_new_privs)
    }
}

/// Whether the process runs as root (effective uid 0).
pub fn is_root() -> bool {
    Uid::effective().is_root()
}

/// The account `spec` names: a user name, or a numeric uid (its group the
/// user database's, else the same number).
pub fn account(spec: &str) -> Result<Account, Error> {
    let bad = |why: String| Error::Usage(format!("--user {spec}: {why}"));
    if spec.is_empty() {
        return Err(bad("empty (name an account, or give a numeric uid)".into()));
    }
    let lookup = match spec.parse::<u32>() {
        Ok(uid) => User::from_uid(Uid::from_raw(uid)).map(|u| {
            Some(u.map_or_else(
                || Account {
                    name: spec.to_string(),
                    uid,
                    gid: uid,
                },
                |u| Account {
                    name: u.name,
                    uid,
                    gid: u.gid.as_raw(),
                },
            ))
        }),
        Err(_) => User::from_name(spec).map(|u| {
            u.map(|u| Account {
                name: u.name,
                uid: u.uid.as_raw(),
                gid: u.gid.as_raw(),
            })
        }),
    };
    match lookup {
        Ok(Some(a)) => Ok(a),
        Ok(None) => Err(bad(
            "no such user (name an account, give a numeric uid, or `--user root` to keep root)"
                .into(),
        )),
        Err(e) => Err(bad(format!("cannot look the user up: {e}"))),
    }
}

/// Become `account` for good: its group alone, then its ids (real,
/// effective and saved, so nothing can switch back), then no new
/// privileges; checked by reading the result back and by failing to
/// regain root.
pub fn become_account(account: &Account) -> Result<Identity, Error> {
    let (uid, gid) = (Uid::from_raw(account.uid), Gid::from_raw(account.gid));
    let failed = |step: &str, e: nix::Error| {
        Error::Privilege(format!(
            "cannot give root up for {} (uid {}, gid {}): {step}: {e}",
            account.name, account.uid, account.gid
        ))
    };
    nix::unistd::setgroups(&[gid]).map_err(|e| failed("setgroups", e))?;
    nix::unistd::setresgid(gid, gid, gid).map_err(|e| failed("setresgid", e))?;
    nix::unistd::setresuid(uid, uid, uid).map_err(|e| failed("setresuid", e))?;
    nix::sys::prctl::set_no_new_privs().map_err(|e| failed("prctl(PR_SET_NO_NEW_PRIVS)", e))?;
    let now = identity().map_err(|e| failed("reading the ids back", e))?;
    let refused = |why: &str| {
        Error::Privilege(format!(
            "gave root up for {} but {why} ({now})",
            account.name
        ))
    };
    if now.uids != [account.uid; 3] || now.gids != [account.gid; 3] {
        return Err(refused("the ids are not the account's"));
    }
    if now.capabilities.is_some_and(|c| c != 0) {
        return Err(refused("capabilities remain"));
    }
    if nix::unistd::setresuid(Uid::from_raw(0), Uid::from_raw(0), Uid::from_raw(0)).is_ok() {
        return Err(refused("root could be taken back"));
    }
    Ok(now)
}

/// The process's ids, groups and capabilities now.
pub fn identity() -> nix::Result<Identity> {
    let u = nix::unistd::getresuid()?;
    let g = nix::unistd::getresgid()?;
    let groups = nix::unistd::getgroups()?;
    let capabilities = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| effective_capabilities(&s));
    Ok(Identity {
        uids: [u.real, u.effective, u.saved].map(Uid::as_raw),
        gids: [g.real, g.effective, g.saved].map(Gid::as_raw),
        groups: groups.into_iter().map(Gid::as_raw).collect(),
        capabilities,
        no_new_privs: nix::sys::prctl::get_no_new_privs()?,
    })
}

/// `CapEff` of a /proc/PID/status text.
fn effective_capabilities(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
}

/// How many threads the process runs (`None`: unknown); giving root up in
/// a forked child is sound only while it is one.
pub fn threads() -> Option<usize> {
    std::fs::read_dir("/proc/self/task")
        .ok()
        .map(|d| d.filter_map(Result::ok).count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_are_read_from_the_status_text() {
        let status = "Name:\tnetcensus\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n\
                      CapEff:\t000001ffffffffff\n";
        assert_eq!(effective_capabilities(status), Some(0x1ff_ffff_ffff));
        assert_eq!(
            effective_capabilities("CapEff:\t0000000000000000\n"),
            Some(0)
        );
        assert_eq!(effective_capabilities("Name:\tx\n"), None);
    }

    #[test]
    fn accounts_are_names_or_numbers() {
        let root = account("root").expect("root is in every user database");
        assert_eq!((root.uid, root.gid), (0, 0));
        assert_eq!(account("0").expect("uid 0").name, "root");
        // a uid no database has: its group is the same number
        let stray = account("4000000000").expect("a numeric uid needs no entry");
        assert_eq!((stray.uid, stray.gid), (4_000_000_000, 4_000_000_000));
        for bad in ["", "no-such-user-netcensus"] {
            let e = account(bad).expect_err(bad).to_string();
            assert!(e.starts_with(&format!("--user {bad}: ")), "{e}");
        }
    }

    #[test]
    fn one_thread_is_counted_at_least() {
        assert!(threads().is_some_and(|n| n >= 1));
    }
}
