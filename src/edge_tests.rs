//! The SNMP edge tested in-process: the agent, identification, the table
//! walker, classification facts, interfaces, neighbours and health reading
//! against recorded agents (`probe::fake`) with injected faults, on tokio's
//! paused clock (a 10 s budget costs no wall time). No lab, no network:
//! `unshare -n cargo test --lib` passes.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use snmp2::Version;
use tokio::time::Instant;

use crate::collect::walk::{walk, WalkOptions};
use crate::collect::{self, inventory, Needs};
use crate::oid::parse_oid;
use crate::probe::agent::{Agent, AgentError, Credential, SessionOptions, Val};
use crate::probe::agent::{Usm, UsmAuth, UsmPriv};
use crate::probe::credential::{Named, Scope};
use crate::probe::exchange::Network;
use crate::probe::fake::{oids_of, parse_snmprec, FakeNetwork, Faults};
use crate::probe::snmp;
use crate::secret::Secret;

const SWITCH: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/recordings/switch.snmprec"
));
const IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
const OPTS: SessionOptions = SessionOptions {
    timeout: Duration::from_secs(1),
    retries: 1,
};

fn oid(s: &str) -> Vec<u64> {
    parse_oid(s).expect("test OID")
}

fn v2c() -> Credential {
    Credential::Community(Version::V2C, "public".into())
}

fn v1() -> Credential {
    Credential::Community(Version::V1, "public".into())
}

fn net_with(
    faults: Faults,
) -> (
    Arc<FakeNetwork>,
    Arc<std::sync::Mutex<crate::probe::fake::FakeAgent>>,
) {
    let net = Arc::new(FakeNetwork::default());
    let agent = net.add(IP, SWITCH, faults);
    (net, agent)
}

fn agent(net: &Arc<FakeNetwork>, cred: Credential) -> Agent {
    let n: Arc<dyn Network> = net.clone();
    Agent::over(n, IP, cred, OPTS, 1)
}

fn walk_opts() -> WalkOptions {
    WalkOptions {
        max_repetitions: 25,
        max_varbinds: 60,
        bulk: true,
        ramp: true,
        row_cap: 20_000,
        deadline: Instant::now() + Duration::from_secs(10),
    }
}

fn requests(a: &Arc<std::sync::Mutex<crate::probe::fake::FakeAgent>>) -> u64 {
    a.lock().map(|g| g.requests).unwrap_or(0)
}

const SYS_DESCR: &str = "1.3.6.1.2.1.1.1.0";
const SYS_NAME: &str = "1.3.6.1.2.1.1.5.0";
const IF_DESCR: &str = "1.3.6.1.2.1.2.2.1.2";

// ------------------------------------------------------------- recordings

#[test]
fn recordings_parse_every_type_and_name_a_bad_line() {
    let r = parse_snmprec(SWITCH).unwrap();
    assert_eq!(r.len(), 98);
    assert_eq!(r[&oid("1.3.6.1.2.1.1.7.0")], Val::Int(2));
    assert_eq!(r[&oid("1.3.6.1.2.1.1.3.0")], Val::Ticks(123_456));
    assert_eq!(
        r[&oid("1.3.6.1.2.1.1.2.0")],
        Val::Oid(oid("1.3.6.1.4.1.9.1.516"))
    );
    assert_eq!(r[&oid("1.0.8802.1.1.2.1.3.5.0")], Val::Bytes(vec![0x28, 0]));
    let e = parse_snmprec("1.3.6.1.2.1.1.1.0|4|ok\n1.3.6|2|x\n").unwrap_err();
    assert_eq!(e.line, 2);
    // variation modules are skipped, not misread
    assert!(parse_snmprec("1.3.6.1.2.1.1.3.0|67:numeric|rate=100")
        .unwrap()
        .is_empty());
}

// ------------------------------------------------------------------ agent

#[tokio::test(start_paused = true)]
async fn get_reads_values_and_v2c_exceptions() {
    let (net, fake) = net_with(Faults::default());
    let mut a = agent(&net, v2c());
    let got = a
        .get(&[oid(SYS_NAME), oid("1.3.6.1.2.1.1.99.0")])
        .await
        .unwrap();
    assert_eq!(got[0].1, Val::Bytes(b"edge-sw-1".to_vec()));
    assert_eq!(got[1].1, Val::NoSuchObject);
    assert_eq!((a.pdus_sent, a.pdus_received, a.varbinds), (1, 1, 2));
    assert_eq!(requests(&fake), 1);
}

#[tokio::test(start_paused = true)]
async fn v1_no_such_name_drops_the_object_and_asks_again() {
    let (net, fake) = net_with(Faults::default());
    let mut a = agent(&net, v1());
    let got = a
        .get(&[oid("1.3.6.1.2.1.1.99.0"), oid(SYS_NAME)])
        .await
        .unwrap();
    assert_eq!(oids_of(&got), [SYS_NAME]);
    assert_eq!(requests(&fake), 2, "the first GET fails whole in v1");
}

#[tokio::test(start_paused = true)]
async fn a_dropped_request_is_retried_with_the_same_id() {
    let (net, fake) = net_with(Faults {
        drop_first: 1,
        ..Faults::default()
    });
    let mut a = agent(&net, v2c());
    let t = Instant::now();
    let got = a.get(&[oid(SYS_NAME)]).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!((a.pdus_sent, a.pdus_received), (2, 1));
    assert_eq!(requests(&fake), 2);
    // one timeout waited, on the paused clock
    assert_eq!(t.elapsed(), OPTS.timeout);
}

#[tokio::test(start_paused = true)]
async fn silence_is_a_timeout_after_every_retry() {
    let (net, fake) = net_with(Faults {
        stall_after: Some(0),
        ..Faults::default()
    });
    let mut a = agent(&net, v2c());
    let e = a.get(&[oid(SYS_NAME)]).await.unwrap_err();
    assert_eq!(e, AgentError::Timeout);
    assert_eq!(a.pdus_sent, u64::from(OPTS.retries) + 1);
    assert_eq!(requests(&fake), 2);
}

#[tokio::test(start_paused = true)]
async fn a_stale_answer_is_skipped_not_taken() {
    let (net, _) = net_with(Faults {
        stale_before_each: true,
        ..Faults::default()
    });
    let mut a = agent(&net, v2c());
    let first = a.get(&[oid(SYS_NAME)]).await.unwrap();
    let second = a.get(&[oid(SYS_DESCR)]).await.unwrap();
    assert_eq!(oids_of(&first), [SYS_NAME]);
    assert_eq!(oids_of(&second), [SYS_DESCR]);
    assert_eq!(a.pdus_received, 2);
}

#[tokio::test(start_paused = true)]
async fn a_duplicated_answer_does_not_answer_the_next_request() {
    let (net, _) = net_with(Faults {
        duplicate: true,
        ..Faults::default()
    });
    let mut a = agent(&net, v2c());
    a.get(&[oid(SYS_NAME)]).await.unwrap();
    let second = a.get(&[oid(SYS_DESCR)]).await.unwrap();
    assert_eq!(oids_of(&second), [SYS_DESCR]);
}

#[tokio::test(start_paused = true)]
async fn garbage_is_retried_and_then_reported() {
    let (net, _) = net_with(Faults {
        garbage_on: vec![1],
        ..Faults::default()
    });
    let mut a = agent(&net, v2c());
    assert_eq!(a.get(&[oid(SYS_NAME)]).await.unwrap().len(), 1);
    let (net, _) = net_with(Faults {
        garbage_on: vec![1, 2],
        ..Faults::default()
    });
    let mut a = agent(&net, v2c());
    assert!(matches!(
        a.get(&[oid(SYS_NAME)]).await,
        Err(AgentError::Garbage(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn an_error_status_is_an_error_at_once() {
    let (net, fake) = net_with(Faults {
        gen_err: true,
        ..Faults::default()
    });
    let mut a = agent(&net, v2c());
    assert_eq!(
        a.get(&[oid(SYS_NAME)]).await,
        Err(AgentError::Status {
            status: 5,
            index: 1
        })
    );
    assert_eq!(requests(&fake), 1, "an answer is not retried");
}

#[tokio::test(start_paused = true)]
async fn port_unreachable_ends_the_conversation() {
    let (net, fake) = net_with(Faults {
        unreachable: true,
        ..Faults::default()
    });
    let mut a = agent(&net, v2c());
    assert_eq!(a.get(&[oid(SYS_NAME)]).await, Err(AgentError::NoAgent));
    assert_eq!(a.pdus_sent, 1, "no retry into a closed port");
    assert_eq!(requests(&fake), 0);
}

#[tokio::test(start_paused = true)]
async fn next_each_is_one_pdu_in_v2c_and_one_per_root_in_v1() {
    let roots = [
        oid("1.3.6.1.2.1.1"),
        oid("1.3.6.1.2.1.17.1.2"),
        oid("1.3.6.1.9"),
    ];
    let (net, fake) = net_with(Faults::default());
    let got = agent(&net, v2c()).next_each(&roots).await.unwrap();
    assert_eq!(requests(&fake), 1);
    assert_eq!(got[0].0, oid(SYS_DESCR));
    assert_eq!(got[1].0, oid("1.3.6.1.2.1.17.1.2.0"));
    assert_eq!(got[2].1, Val::EndOfMibView);
    let (net, fake) = net_with(Faults::default());
    let got = agent(&net, v1()).next_each(&roots).await.unwrap();
    assert_eq!(requests(&fake), 3);
    assert_eq!(
        got[2].1,
        Val::EndOfMibView,
        "v1 noSuchName at the end of the MIB"
    );
}

#[tokio::test(start_paused = true)]
async fn column_reads_to_its_end_in_both_versions() {
    for cred in [v2c(), v1()] {
        let (net, _) = net_with(Faults::default());
        let got = agent(&net, cred).column(&oid(IF_DESCR), 50).await.unwrap();
        assert_eq!(got.len(), 4);
        assert_eq!(got[3].1, Val::Bytes(b"Vlan1".to_vec()));
    }
}

#[tokio::test(start_paused = true)]
async fn column_stops_at_a_looping_oid() {
    let (net, _) = net_with(Faults {
        loop_at: Some(oid("1.3.6.1.2.1.2.2.1.2.2")),
        ..Faults::default()
    });
    let got = agent(&net, v1()).column(&oid(IF_DESCR), 50).await.unwrap();
    assert_eq!(got.len(), 2, "the repeated OID ends the column");
}

#[tokio::test(start_paused = true)]
async fn siblings_open_their_own_exchange_and_counters_add_up() {
    let (net, fake) = net_with(Faults::default());
    let mut a = agent(&net, v2c());
    a.get(&[oid(SYS_NAME)]).await.unwrap();
    let mut b = a.sibling(1);
    b.get(&[oid(SYS_DESCR)]).await.unwrap();
    a.absorb(&b);
    assert_eq!(a.pdus_sent, 2);
    assert_eq!(fake.lock().unwrap().opened, 2);
    assert_eq!((a.bytes_sent, a.bytes_received), (2, 2));
}

// --------------------------------------------------------- identification

#[tokio::test(start_paused = true)]
async fn identify_reads_the_system_group_with_the_first_credential_that_works() {
    let (net, _) = net_with(Faults {
        community: Some("s3cret".into()),
        ..Faults::default()
    });
    let creds = [v2c(), Credential::Community(Version::V2C, "s3cret".into())]
        .map(|c| crate::probe::snmp::Named::everywhere("c", c));
    let (rank, sys, _) = snmp::identify(
        net.clone(),
        IP,
        &creds,
        snmp::order(&creds, IP, None, |_| false),
        OPTS,
        7,
        None,
    )
    .await
    .map_err(snmp::Unidentified::errors)
    .expect("identified");
    assert_eq!(rank, 1);
    assert_eq!(sys.version, crate::vocab::SnmpVersion::V2c);
    assert_eq!(sys.sys_name.as_deref(), Some("edge-sw-1"));
    assert_eq!(sys.sys_object_id.as_deref(), Some("1.3.6.1.4.1.9.1.516"));
    assert_eq!(sys.sys_services, Some(2));
}

#[tokio::test(start_paused = true)]
async fn identify_falls_back_to_v1_for_a_v1_only_agent() {
    let (net, _) = net_with(Faults {
        versions: vec![Version::V1],
        ..Faults::default()
    });
    let creds = snmp::credentials(&["public".into()], &[]);
    let (_, sys, agent) = snmp::identify(
        net.clone(),
        IP,
        &creds,
        snmp::order(&creds, IP, None, |_| false),
        OPTS,
        7,
        None,
    )
    .await
    .map_err(snmp::Unidentified::errors)
    .expect("identified over v1");
    assert_eq!(sys.version, crate::vocab::SnmpVersion::V1);
    assert_eq!(agent.version(), Version::V1);
}

#[tokio::test(start_paused = true)]
async fn identify_gives_up_quietly_on_a_wrong_community_and_at_once_on_a_closed_port() {
    let (net, _) = net_with(Faults {
        community: Some("other".into()),
        ..Faults::default()
    });
    let creds = snmp::credentials(&["public".into()], &[]);
    assert_eq!(
        snmp::identify(
            net.clone(),
            IP,
            &creds,
            snmp::order(&creds, IP, None, |_| false),
            OPTS,
            7,
            None
        )
        .await
        .map_err(snmp::Unidentified::errors)
        .err(),
        Some(vec![]),
        "a wrong community is silence, not an error"
    );
    let (net, _) = net_with(Faults {
        unreachable: true,
        ..Faults::default()
    });
    let t = Instant::now();
    assert!(snmp::identify(
        net.clone(),
        IP,
        &creds,
        snmp::order(&creds, IP, None, |_| false),
        OPTS,
        7,
        None
    )
    .await
    .map_err(snmp::Unidentified::errors)
    .is_err());
    assert_eq!(
        t.elapsed(),
        Duration::ZERO,
        "no credential waits on a closed port"
    );
}

#[tokio::test(start_paused = true)]
async fn identify_tries_the_known_credential_first_and_skips_the_excluded() {
    let (net, fake) = net_with(Faults::default());
    let (net2, _) = net_with(Faults {
        community: Some("public".into()),
        ..Faults::default()
    });
    let creds = snmp::credentials(&["a".into(), "public".into()], &[]);
    // ranks: a v2c, public v2c, a v1, public v1
    let (rank, _, _) = snmp::identify(
        net2.clone(),
        IP,
        &creds,
        snmp::order(&creds, IP, Some(1), |_| false),
        OPTS,
        7,
        None,
    )
    .await
    .map_err(snmp::Unidentified::errors)
    .expect("identified");
    assert_eq!(rank, 1);
    let (rank, _, _) = snmp::identify(
        net.clone(),
        IP,
        &creds,
        snmp::order(&creds, IP, Some(3), |_| false),
        OPTS,
        7,
        None,
    )
    .await
    .map_err(snmp::Unidentified::errors)
    .expect("identified");
    assert_eq!(rank, 3);
    assert_eq!(
        requests(&fake),
        1,
        "the known credential first: one request"
    );
    let skipped = snmp::identify(
        net.clone(),
        IP,
        &creds,
        snmp::order(&creds, IP, None, |_| true),
        OPTS,
        7,
        None,
    )
    .await
    .map_err(snmp::Unidentified::errors);
    assert!(skipped.is_err());
}

#[tokio::test(start_paused = true)]
async fn identification_spends_the_devices_budget_and_stops_when_it_is_gone() {
    use crate::probe::budget::{Budget, Crowd};
    // an agent that answers no community of the ten offered: each
    // credential costs two tries of 1 s, charged to a budget of 5 s
    let (net, fake) = net_with(Faults {
        community: Some("unknown".into()),
        ..Faults::default()
    });
    let names: Vec<_> = (0..10)
        .map(|n| snmp::Named::everywhere("c", crate::secret::Secret::new(format!("c{n}"))))
        .collect();
    let creds = snmp::credentials(&names, &[]);
    let cap = Instant::now() + Duration::from_secs(100);
    let budget = Budget::new(Duration::from_secs(5), Crowd::new(), cap);
    let t = Instant::now();
    let order = snmp::order(&creds, IP, None, |_| false);
    assert_eq!(order.len(), 20, "ten communities, v2c and v1");
    let silent = snmp::identify(net.clone(), IP, &creds, order, OPTS, 7, Some(&budget))
        .await
        .map_err(snmp::Unidentified::errors);
    assert_eq!(
        silent.err(),
        Some(vec![]),
        "silence is no error, however long"
    );
    assert_eq!(
        requests(&fake),
        6,
        "5 s of budget: three credentials of two tries"
    );
    assert_eq!(t.elapsed(), Duration::from_secs(6));
    assert!(
        budget.spent(),
        "what identification spent is gone for the walks"
    );
    // without a budget every credential is tried
    let order = snmp::order(&creds, IP, None, |_| false);
    let _ = snmp::identify(net.clone(), IP, &creds, order, OPTS, 7, None)
        .await
        .map_err(snmp::Unidentified::errors);
    assert_eq!(requests(&fake), 6 + 40);
}

#[tokio::test(start_paused = true)]
async fn an_agent_answering_garbage_to_identification_gets_an_error_saying_so() {
    let (net, _) = net_with(Faults {
        garbage_on: (1..=8).collect(),
        ..Faults::default()
    });
    let creds = snmp::credentials(&["public".into()], &[]);
    let order = snmp::order(&creds, IP, None, |_| false);
    let errors = snmp::identify(net.clone(), IP, &creds, order, OPTS, 7, None)
        .await
        .map_err(snmp::Unidentified::errors)
        .err()
        .expect("nothing usable");
    assert_eq!(errors.len(), 2, "one per credential tried: {errors:?}");
    assert!(
        errors.iter().all(|e| e.contains("unusable answer")),
        "{errors:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_snmpv3_user_is_an_error_that_says_so_with_no_retry() {
    let (net, fake) = net_with(Faults {
        refuse_usm: Some("unknown user (usmStatsUnknownUserNames)".into()),
        ..Faults::default()
    });
    let usm = Usm {
        user: "monitor".into(),
        auth: Some((UsmAuth::Sha256, "authpass123".into())),
        privacy: Some((UsmPriv::Aes256, "privpass123".into())),
        context: String::new(),
    };
    let creds = snmp::credentials(&[], &[usm.into()]);
    let t = Instant::now();
    let errors = snmp::identify(
        net.clone(),
        IP,
        &creds,
        snmp::order(&creds, IP, None, |_| false),
        OPTS,
        7,
        None,
    )
    .await
    .map_err(snmp::Unidentified::errors)
    .err()
    .expect("refused");
    assert_eq!(
        errors,
        ["authentication failed for SNMPv3 user 'monitor': unknown user (usmStatsUnknownUserNames)"]
    );
    assert_eq!(requests(&fake), 1, "a refusal is not retried");
    assert_eq!(t.elapsed(), Duration::ZERO, "nor waited for");
    assert!(!errors[0].contains("authpass123") && !errors[0].contains("privpass123"));
}

// ------------------------------------------------------------ the walker

#[tokio::test(start_paused = true)]
async fn walk_reads_several_columns_together() {
    let (net, _) = net_with(Faults::default());
    let mut a = agent(&net, v2c());
    let cols = [oid(IF_DESCR), oid("1.3.6.1.2.1.2.2.1.8")];
    let w = walk(&mut a, &cols, &walk_opts()).await;
    assert!(w.stopped.is_none(), "{:?}", w.stopped);
    assert_eq!(w.rows.len(), 4);
    assert_eq!(w.rows[&vec![2]][&1], Val::Int(2));
}

#[tokio::test(start_paused = true)]
async fn walk_ramps_up_from_two_repetitions() {
    let (net, fake) = net_with(Faults::default());
    let mut a = agent(&net, v2c());
    let w = walk(&mut a, &[oid("1.3.6.1.2.1.2.2.1.1")], &walk_opts()).await;
    assert_eq!(w.rows.len(), 4);
    // 2 rows, then more: the column's 4 rows in 2 PDUs (ramped), not 1
    assert_eq!(requests(&fake), 2);
}

#[tokio::test(start_paused = true)]
async fn walk_halves_repetitions_on_too_big_and_still_reads_everything() {
    let (net, _) = net_with(Faults {
        too_big_above: Some(3),
        ..Faults::default()
    });
    let mut a = agent(&net, v2c());
    let opts = WalkOptions {
        ramp: false,
        ..walk_opts()
    };
    let w = walk(&mut a, &[oid(IF_DESCR), oid("1.3.6.1.2.1.2.2.1.3")], &opts).await;
    assert!(w.stopped.is_none(), "{:?}", w.stopped);
    assert_eq!(w.rows.len(), 4);
}

#[tokio::test(start_paused = true)]
async fn walk_stops_on_a_non_increasing_oid_and_keeps_what_it_read() {
    let (net, _) = net_with(Faults {
        loop_at: Some(oid("1.3.6.1.2.1.2.2.1.2.2")),
        ..Faults::default()
    });
    let mut a = agent(&net, v2c());
    let w = walk(&mut a, &[oid(IF_DESCR)], &walk_opts()).await;
    assert_eq!(w.rows.len(), 2);
    assert!(
        w.stopped
            .as_deref()
            .is_some_and(|s| s.starts_with("agent loops")),
        "{:?}",
        w.stopped
    );
}

#[tokio::test(start_paused = true)]
async fn walk_stops_at_the_row_cap() {
    let (net, _) = net_with(Faults::default());
    let mut a = agent(&net, v2c());
    let opts = WalkOptions {
        row_cap: 2,
        ..walk_opts()
    };
    let w = walk(&mut a, &[oid(IF_DESCR)], &opts).await;
    assert!(w.rows.len() <= 3, "{}", w.rows.len());
    assert!(w.stopped.is_some());
}

#[tokio::test(start_paused = true)]
async fn walk_stops_at_the_deadline_of_a_stalled_agent_without_wall_time() {
    let (net, _) = net_with(Faults {
        stall_after: Some(1),
        ..Faults::default()
    });
    let mut a = agent(&net, v2c());
    let wall = std::time::Instant::now();
    let opts = WalkOptions {
        deadline: Instant::now() + Duration::from_secs(10),
        ..walk_opts()
    };
    let w = walk(&mut a, &[oid(IF_DESCR)], &opts).await;
    assert!(w.stopped.is_some());
    assert!(!w.rows.is_empty(), "the first answer is kept");
    assert!(wall.elapsed() < Duration::from_secs(2), "paused clock");
}

#[tokio::test(start_paused = true)]
async fn walk_uses_getnext_when_bulk_is_off_or_for_v1() {
    for (cred, bulk) in [(v2c(), false), (v1(), true)] {
        let (net, fake) = net_with(Faults::default());
        let mut a = agent(&net, cred);
        let opts = WalkOptions {
            bulk,
            ..walk_opts()
        };
        let w = walk(&mut a, &[oid(IF_DESCR)], &opts).await;
        assert_eq!(w.rows.len(), 4);
        assert_eq!(requests(&fake), 5, "one GETNEXT a row, one past the end");
    }
}

// ------------------------------------------------- classification facts

#[tokio::test(start_paused = true)]
async fn gather_reads_bridge_forwarding_lldp_and_the_chassis_row() {
    let (net, _) = net_with(Faults::default());
    let mut a = agent(&net, v2c());
    let f = collect::gather(&mut a, &Needs::default(), Some("1.3.6.1.4.1.9.1.516"))
        .await
        .unwrap();
    assert_eq!(f.bridge_ports, Some(3));
    assert_eq!(f.ip_forwarding, Some(false));
    assert_eq!(f.if_number, Some(4));
    assert_eq!(
        f.lldp_caps_enabled.as_deref(),
        Some(&["bridge".to_string()][..])
    );
    let c = f.chassis.expect("chassis");
    assert_eq!(c.index, 1001, "the chassis class row, not the first row");
    assert_eq!(c.model.as_deref(), Some("WS-C3750G-12S-S"));
    assert_eq!(c.serial.as_deref(), Some("FDO1622Y10H"));
    assert!(f.mibs.contains(&"entity".to_string()));
    assert!(
        f.enterprises.is_empty(),
        "the maker is named: no enterprise hops"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stack_has_its_members_and_the_stacks_serial() {
    // an IRF virtual chassis as H3C's agents show it: a stack(11) row
    // holding two chassis(3) rows, each with its own serial
    let rec = "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.25506.1.1\n\
               1.3.6.1.2.1.47.1.1.1.1.2.1|4|H3C stack\n\
               1.3.6.1.2.1.47.1.1.1.1.2.3|4|H3C S6850 slot 1\n\
               1.3.6.1.2.1.47.1.1.1.1.2.4|4|H3C S6850 slot 2\n\
               1.3.6.1.2.1.47.1.1.1.1.5.1|2|11\n\
               1.3.6.1.2.1.47.1.1.1.1.5.3|2|3\n\
               1.3.6.1.2.1.47.1.1.1.1.5.4|2|3\n\
               1.3.6.1.2.1.47.1.1.1.1.5.9|2|9\n\
               1.3.6.1.2.1.47.1.1.1.1.11.1|4|STACK0001\n\
               1.3.6.1.2.1.47.1.1.1.1.11.3|4|MEMBER0003\n\
               1.3.6.1.2.1.47.1.1.1.1.11.4|4|MEMBER0004\n\
               1.3.6.1.2.1.47.1.1.1.1.13.1|4|STACK MODE\n\
               1.3.6.1.2.1.47.1.1.1.1.13.3|4|LS-6850-56HF\n\
               1.3.6.1.2.1.47.1.1.1.1.13.4|4|LS-6850-56HF\n";
    let net = Arc::new(FakeNetwork::default());
    net.add(IP, rec, Faults::default());
    let mut a = agent(&net, v2c());
    let f = collect::gather(&mut a, &Needs::default(), Some("1.3.6.1.4.1.25506.1.1"))
        .await
        .unwrap();
    let serials: Vec<Option<&str>> = f.members.iter().map(|m| m.serial.as_deref()).collect();
    assert_eq!(serials, [Some("MEMBER0003"), Some("MEMBER0004")]);
    assert!(f
        .members
        .iter()
        .all(|m| m.model.as_deref() == Some("LS-6850-56HF")));
    assert_eq!(
        f.stack.as_ref().and_then(|s| s.serial.as_deref()),
        Some("STACK0001")
    );
    // the model comes from a member, the serial from the stack
    assert_eq!(f.chassis.as_ref().map(|c| c.index), Some(3));
    let p = crate::profile::Profiles::builtin().unwrap();
    let snmp = crate::model::Snmp {
        sys_object_id: Some("1.3.6.1.4.1.25506.1.1".into()),
        ..crate::model::Snmp::default()
    };
    let ev = crate::classify::Evidence {
        snmp: Some(&snmp),
        facts: Some(&f),
        interfaces: None,
    };
    assert_eq!(
        crate::classify::classify(&ev, &p).serial.as_deref(),
        Some("STACK0001")
    );
    // one chassis, no stack: no members
    let (net, _) = net_with(Faults::default());
    let mut a = agent(&net, v2c());
    let f = collect::gather(&mut a, &Needs::default(), Some("1.3.6.1.4.1.9.1.516"))
        .await
        .unwrap();
    assert!(f.members.is_empty() && f.stack.is_none());
}

#[tokio::test(start_paused = true)]
async fn gather_asks_a_makers_devices_only_about_its_own_vendor_mibs() {
    let (net, fake) = net_with(Faults::default());
    let mut a = agent(&net, v2c());
    let needs = Needs {
        subtrees: [oid("1.3.6.1.4.1.9.9.109"), oid("1.3.6.1.4.1.2011.5.25")]
            .into_iter()
            .collect(),
        ..Needs::default()
    };
    let f = collect::gather(&mut a, &needs, Some("1.3.6.1.4.1.9.1.516"))
        .await
        .unwrap();
    assert_eq!(f.subtrees, ["1.3.6.1.4.1.9.9.109"]);
    let asked = fake.lock().unwrap().asked.clone();
    assert!(asked.contains(&oid("1.3.6.1.4.1.9.9.109")));
    assert!(
        !asked.contains(&oid("1.3.6.1.4.1.2011.5.25")),
        "Huawei's MIB is not asked of a Cisco"
    );
}

#[tokio::test(start_paused = true)]
async fn gather_lists_enterprise_subtrees_when_the_sysobjectid_names_no_maker() {
    let (net, _) = net_with(Faults::default());
    let mut a = agent(&net, v2c());
    let needs = Needs {
        agent_enterprises: [8072].into_iter().collect(),
        ..Needs::default()
    };
    let f = collect::gather(&mut a, &needs, Some("1.3.6.1.4.1.8072.3.2.10"))
        .await
        .unwrap();
    assert_eq!(
        f.enterprises,
        [9],
        "the recording implements Cisco's subtree"
    );
}

// ---------------------------------------------------- interfaces, neighbours

#[tokio::test(start_paused = true)]
async fn interfaces_decode_names_speeds_status_and_fill_in_ifdescr() {
    let (net, _) = net_with(Faults::default());
    let mut a = agent(&net, v2c());
    let (ifs, stopped, stats) = inventory::interfaces(&mut a, &walk_opts(), Some(4)).await;
    assert!(stopped.is_none(), "{stopped:?}");
    assert_eq!(ifs.len(), 4);
    assert_eq!(ifs[0].name.as_deref(), Some("Gi1/0/1"));
    assert_eq!(ifs[0].alias.as_deref(), Some("uplink to core"));
    assert_eq!(ifs[0].speed_mbps, Some(1000));
    assert_eq!(ifs[0].mac.as_deref(), Some("00:11:22:33:44:01"));
    assert_eq!(ifs[1].oper_up, Some(false));
    assert_eq!(ifs[2].in_errors, Some(9));
    // no ifName / ifHighSpeed for the VLAN: ifDescr and ifSpeed instead
    assert_eq!(ifs[3].name.as_deref(), Some("Vlan1"));
    assert_eq!(ifs[3].speed_mbps, Some(1000));
    assert_eq!(stats.rows, 4);
}

fn big_recording(rows: u64) -> String {
    let mut s = String::new();
    for i in 1..=rows {
        for (c, t, v) in [
            (1, "2", i.to_string()),
            (3, "2", "6".into()),
            (7, "2", "1".into()),
            (8, "2", "1".into()),
        ] {
            s.push_str(&format!("1.3.6.1.2.1.2.2.1.{c}.{i}|{t}|{v}\n"));
        }
    }
    for i in 1..=rows {
        s.push_str(&format!("1.3.6.1.2.1.31.1.1.1.1.{i}|4|Eth{i}\n"));
        s.push_str(&format!("1.3.6.1.2.1.31.1.1.1.15.{i}|66|10000\n"));
    }
    let mut lines: Vec<&str> = s.lines().collect();
    lines.sort_by_key(|l| parse_oid(l.split('|').next().unwrap_or("")));
    lines.join("\n")
}

#[tokio::test(start_paused = true)]
async fn a_big_interface_table_is_read_in_slices_with_the_same_result() {
    let net = Arc::new(FakeNetwork::default());
    let fake = net.add(IP, &big_recording(900), Faults::default());
    let mut a = agent(&net, v2c());
    let (ifs, stopped, _) = inventory::interfaces(&mut a, &walk_opts(), Some(900)).await;
    assert!(stopped.is_none(), "{stopped:?}");
    assert_eq!(ifs.len(), 900);
    assert_eq!(ifs[899].name.as_deref(), Some("Eth900"));
    assert!(
        fake.lock().unwrap().opened >= 4,
        "slices on sessions of their own"
    );
}

#[tokio::test(start_paused = true)]
async fn neighbours_decode_lldp_ids_ports_and_management_addresses() {
    let (net, _) = net_with(Faults::default());
    let mut a = agent(&net, v2c());
    let names = [(1, "Gi1/0/1".to_string())].into_iter().collect();
    let (n, stopped) = inventory::neighbors(&mut a, &walk_opts(), &names).await;
    assert!(stopped.is_none(), "{stopped:?}");
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].remote_name.as_deref(), Some("core-1"));
    assert_eq!(n[0].remote_chassis_id.as_deref(), Some("00:aa:bb:cc:dd:01"));
    assert_eq!(n[0].remote_port.as_deref(), Some("xe-0/0/1"));
    assert_eq!(n[0].remote_mgmt_addr.as_deref(), Some("10.0.0.1"));
    assert_eq!(n[0].local_port.as_deref(), Some("Gi1/0/1"));
}

// ----------------------------------------------------------------- health

#[tokio::test(start_paused = true)]
async fn health_reads_cpu_and_a_precise_temperature() {
    let (net, _) = net_with(Faults::default());
    let mut a = agent(&net, v2c());
    let p = crate::profile::Profiles::builtin().unwrap();
    let (r, stopped) = collect::health::read(&mut a, &p.health, None, &walk_opts()).await;
    assert!(stopped.is_none(), "{stopped:?}");
    assert_eq!(r.cpu.as_ref().map(|c| c.0), Some(12.0));
    assert_eq!(r.cpu.as_ref().map(|c| c.1.as_str()), Some("cisco-cpu-5min"));
    assert_eq!(
        r.temp.as_ref().map(|t| t.0),
        Some(28.2),
        "entPhySensorPrecision 1"
    );
    assert!(r.mem.is_none(), "nothing recorded, nothing invented");
}

#[tokio::test(start_paused = true)]
async fn health_walks_only_the_columns_the_agent_has() {
    let (net, fake) = net_with(Faults::default());
    let mut a = agent(&net, v2c());
    let p = crate::profile::Profiles::builtin().unwrap();
    let present = vec!["1.3.6.1.4.1.9.9.109.1.1.1.1.8".to_string()];
    let (r, _) = collect::health::read(&mut a, &p.health, Some(&present), &walk_opts()).await;
    assert_eq!(r.cpu.as_ref().map(|c| c.0), Some(12.0));
    assert!(r.temp.is_none(), "the sensor column was not named present");
    let asked = fake.lock().unwrap().asked.clone();
    assert!(asked
        .iter()
        .all(|o| o.starts_with(&oid("1.3.6.1.4.1.9.9.109"))));
}

// ------------------------------------------------------------------ SNMPv3

fn usm() -> Credential {
    Credential::Usm(crate::probe::agent::Usm {
        user: "monitor".into(),
        auth: None,
        privacy: None,
        context: String::new(),
    })
}

#[tokio::test(start_paused = true)]
async fn a_v3_exchange_counts_discovery_and_is_replaced_after_a_timeout() {
    let (net, fake) = net_with(Faults {
        drop_first: 1,
        ..Faults::default()
    });
    let mut a = agent(&net, usm());
    let got = a.get(&[oid(SYS_NAME)]).await.unwrap();
    assert_eq!(got.len(), 1);
    // discovery, the lost try, discovery again on a fresh session, the answered try
    assert_eq!((a.pdus_sent, a.pdus_received), (4, 3));
    assert_eq!(
        fake.lock().unwrap().opened,
        2,
        "a stale v3 answer must not be taken"
    );
    assert_eq!((a.bytes_sent, a.bytes_received), (2, 1));
}

// ------------------------------------------------------- the sweep's answers

/// A sweep answer datagram: a request encoded for real, its PDU tag turned
/// into GetResponse (short-form lengths: small messages).
fn sweep_reply(version: Version, community: &str, req_id: i32, response: bool) -> Vec<u8> {
    let oids: Vec<&[u64]> = vec![&[1, 3, 6, 1, 2, 1, 1, 5, 0]];
    let mut msg = snmp::encode_get(version, community.as_bytes(), req_id, &oids);
    let tag = 2 + 3 + 2 + community.len();
    assert_eq!(msg[tag], 0xa0, "GetRequest tag where expected");
    if response {
        msg[tag] = 0xa2;
    }
    msg
}

#[test]
fn sweep_answers_name_the_credential_that_answered() {
    let comms: [Named<Secret>; 2] = ["public".into(), "s3cret".into()];
    let (id, a) =
        snmp::decode_sweep_reply(&sweep_reply(Version::V2C, "s3cret", 42, true), &comms, IP)
            .expect("an answer");
    assert_eq!(id, 42, "the id is the sweep's to match");
    assert_eq!(
        a.rank, 1,
        "credentials: public v2c, s3cret v2c, public v1, s3cret v1"
    );
    assert!(a.complete);
    assert_eq!(a.system.version, crate::vocab::SnmpVersion::V2c);
    let (_, a) =
        snmp::decode_sweep_reply(&sweep_reply(Version::V1, "public", 42, true), &comms, IP)
            .expect("a v1 answer");
    assert_eq!(a.rank, 2);
    // a community scoped elsewhere cannot have answered from here
    let scoped = [Named {
        name: "site-b".into(),
        scope: Scope(vec!["198.51.100.0/24".parse().expect("net")]),
        value: Secret::new("s3cret"),
    }];
    let reply = sweep_reply(Version::V2C, "s3cret", 42, true);
    assert!(snmp::decode_sweep_reply(&reply, &scoped, IP).is_none());
}

#[test]
fn sweep_answers_with_another_community_version_or_type_are_not_ours() {
    let comms: [Named<Secret>; 1] = ["public".into()];
    let r = |v, c, id, resp| snmp::decode_sweep_reply(&sweep_reply(v, c, id, resp), &comms, IP);
    assert!(
        r(Version::V2C, "other", 42, true).is_none(),
        "a community we did not send"
    );
    assert!(
        r(Version::V2C, "public", 42, false).is_none(),
        "a request, not an answer"
    );
    assert!(snmp::decode_sweep_reply(&[0x30, 0x03, 0x02, 0x01], &comms, IP).is_none());
}

#[tokio::test(start_paused = true)]
async fn gather_over_v1_reads_the_same_facts() {
    let (net, fake) = net_with(Faults::default());
    let mut a = agent(&net, v1());
    let f = collect::gather(&mut a, &Needs::default(), Some("1.3.6.1.4.1.9.1.516"))
        .await
        .unwrap();
    assert_eq!(f.bridge_ports, Some(3));
    assert_eq!(
        f.chassis.and_then(|c| c.serial).as_deref(),
        Some("FDO1622Y10H")
    );
    assert!(requests(&fake) > 4, "v1: a GETNEXT per presence root");
}

#[tokio::test(start_paused = true)]
async fn an_agent_without_lldp_has_no_neighbours_and_no_error() {
    let net = Arc::new(FakeNetwork::default());
    net.add(IP, "1.3.6.1.2.1.1.5.0|4|bare\n", Faults::default());
    let mut a = agent(&net, v2c());
    let (n, stopped) =
        inventory::neighbors(&mut a, &walk_opts(), &std::collections::BTreeMap::new()).await;
    assert!(n.is_empty());
    assert!(stopped.is_none(), "{stopped:?}");
}

// -------------------------------------------------------------- the sweep

mod sweep_edge {
    use super::*;
    use crate::event::{Cancel, Events};
    use crate::probe::fake::FakeSweep;
    use crate::probe::sweep::{sweep_over, SweepOptions};
    use crate::targets::{arg_tokens, TargetSet};

    fn ip(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))
    }

    fn opts(retries: u32) -> SweepOptions {
        SweepOptions {
            rate: 10_000,
            timeout: Duration::from_millis(500),
            retries,
            icmp: true,
            communities: vec!["public".into(), "s3cret".into()],
            snmp_max_block: 65_536,
            answers: None,
            ident: 7,
            ids: crate::probe::sweep::ReqIds::new(),
        }
    }

    fn targets(spec: &str) -> TargetSet {
        TargetSet::build(&arg_tokens(&[spec.to_string()]), &[], false).expect("targets")
    }

    async fn run(
        net: &FakeSweep,
        t: &TargetSet,
        o: &SweepOptions,
    ) -> crate::probe::sweep::SweepResult {
        let (_stop, cancel) = Cancel::new();
        let (events, _rx) = Events::channel();
        sweep_over(net, t, o, &events, &cancel)
            .await
            .expect("sweep")
    }

    fn lab() -> FakeSweep {
        let mut net = FakeSweep::default();
        net.live.extend([ip(1), ip(2)]);
        // a firewall that drops ping but runs an agent
        net.agents
            .insert(ip(3), ("s3cret".into(), vec![Version::V2C], "fw-1".into()));
        net.agents
            .insert(ip(2), ("public".into(), vec![Version::V1], "old-sw".into()));
        net
    }

    #[tokio::test(start_paused = true)]
    async fn the_sweep_finds_pinging_hosts_and_agents_that_drop_ping() {
        let net = lab();
        let t = targets("192.0.2.0/29"); // .1 to .6
        let r = run(&net, &t, &opts(1)).await;
        let mut alive: Vec<IpAddr> = r.icmp_alive.iter().copied().collect();
        alive.sort();
        assert_eq!(alive, [ip(1), ip(2)]);
        assert_eq!(r.snmp[&ip(3)].rank, 1, "s3cret over v2c");
        assert_eq!(r.snmp[&ip(3)].system.sys_name.as_deref(), Some("fw-1"));
        // the v1-only agent answers the last pass's v1 GET
        assert_eq!(r.snmp[&ip(2)].rank, 2, "public over v1");
        assert!(!r.snmp.contains_key(&ip(4)));
        assert_eq!(r.send_errors, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_go_only_to_addresses_still_silent() {
        let net = lab();
        let t = targets("192.0.2.0/29");
        let r = run(&net, &t, &opts(1)).await;
        let sent = net.sent.lock().unwrap().clone();
        let to = |a: IpAddr| sent.iter().filter(|(x, _)| *x == a).count();
        // pass 0: echo + 2 v2c GETs each; pass 1 (the last): + 2 v1 GETs
        assert_eq!(to(ip(5)), 3 + 5, "a silent address gets both passes");
        assert_eq!(to(ip(1)), 3 + 4, "pings but no agent: SNMP again, no echo");
        assert_eq!(
            to(ip(3)),
            3 + 1,
            "an agent that drops ping: only the echo again"
        );
        assert_eq!(r.packets_sent, sent.len() as u64);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lost_first_echo_is_found_by_the_retry() {
        let mut net = lab();
        net.drop_echoes = 1;
        let t = targets("192.0.2.1-2");
        assert!(
            run(&net, &t, &opts(0)).await.icmp_alive.is_empty(),
            "no retry: lost"
        );
        let r = run(&net, &t, &opts(1)).await;
        assert_eq!(r.icmp_alive.len(), 2, "the second pass finds both");
    }

    #[tokio::test(start_paused = true)]
    async fn a_reply_from_outside_the_targets_is_not_taken() {
        let mut net = lab();
        net.answer_from.insert(ip(1), ip(200));
        let t = targets("192.0.2.1");
        let r = run(&net, &t, &opts(0)).await;
        assert!(r.icmp_alive.is_empty(), "{:?}", r.icmp_alive);
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_from_another_address_is_the_asked_addresss_and_makes_nothing_alive() {
        let mut net = lab();
        // .3 is an agent that answers from .200 (its primary address),
        // which is silent itself
        net.answer_from.insert(ip(3), ip(200));
        net.live.remove(&ip(3));
        let t = targets("192.0.2.0/24");
        let r = run(&net, &t, &opts(0)).await;
        let a = r.snmp.get(&ip(3)).expect("credited to the address asked");
        assert_eq!(a.system.answered_from, Some(ip(200)));
        assert!(
            !r.snmp.contains_key(&ip(200)),
            "the silent address is not an agent"
        );
        assert!(!r.icmp_alive.contains(&ip(200)));
    }

    #[tokio::test(start_paused = true)]
    async fn answers_from_another_port_or_with_an_id_never_sent_are_dropped() {
        let mut net = lab();
        net.wrong_id.insert(ip(3));
        let t = targets("192.0.2.0/24");
        let r = run(&net, &t, &opts(0)).await;
        assert!(!r.snmp.contains_key(&ip(3)), "a forged or stale id");
        assert!(r.foreign >= 1);
        assert!(
            r.faults[&ip(3)].contains("which it was not sent"),
            "{:?}",
            r.faults
        );
        let mut net = lab();
        net.answer_port = Some(1161);
        let r = run(&net, &t, &opts(0)).await;
        assert!(r.snmp.is_empty(), "port 161 only: {:?}", r.snmp.keys());
        let mut net = lab();
        net.garbled.insert(ip(3));
        let r = run(&net, &t, &opts(0)).await;
        assert!(
            r.faults[&ip(3)].starts_with("answered SNMP with a 12-byte datagram that is not SNMP")
        );
    }

    #[test]
    fn request_ids_differ_by_destination_and_by_run_and_encode_in_four_bytes() {
        let (a, b) = (
            crate::probe::sweep::ReqIds::new(),
            crate::probe::sweep::ReqIds::new(),
        );
        let ids: std::collections::BTreeSet<i32> = (1..=200).map(|n| a.id(ip(n))).collect();
        assert!(ids.len() >= 199, "nearly all distinct: {}", ids.len());
        assert!(ids.iter().all(|i| (0x0100_0000..=0x7FFF_FFFF).contains(i)));
        assert_eq!(a.id(ip(1)), a.id(ip(1)), "stable within a run");
        let same = (1..=50).filter(|n| a.id(ip(*n)) == b.id(ip(*n))).count();
        assert!(same <= 1, "another run, other ids");
    }

    #[tokio::test(start_paused = true)]
    async fn complete_answers_are_handed_on_while_the_sweep_runs() {
        let net = lab();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let o = SweepOptions {
            answers: Some(tx),
            ..opts(0)
        };
        let r = run(&net, &targets("192.0.2.3"), &o).await;
        let (got, answer) = rx.try_recv().expect("dispatched");
        assert_eq!((got, answer.rank), (ip(3), 1));
        assert!(r.dispatched.contains(&ip(3)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_scoped_community_is_sent_only_inside_its_scope() {
        let net = lab();
        // s3cret only to 192.0.2.0/30 (.1-.3); public nowhere but .5
        let scoped = |c: &str, net: &str| Named {
            name: c.to_string(),
            scope: Scope(vec![net.parse().expect("net")]),
            value: Secret::new(c),
        };
        let o = SweepOptions {
            communities: vec![
                scoped("s3cret", "192.0.2.0/30"),
                scoped("public", "192.0.2.5/32"),
            ],
            ..opts(1)
        };
        let r = run(&net, &targets("192.0.2.0/29"), &o).await;
        let sent = net.sent.lock().unwrap().clone();
        let snmp_to = |a: IpAddr| sent.iter().filter(|(x, snmp)| *x == a && *snmp).count();
        assert_eq!(snmp_to(ip(4)), 0, "no community covers .4");
        assert_eq!(snmp_to(ip(6)), 0, "nor .6");
        assert_eq!(snmp_to(ip(5)), 1 + 2, "public only: v2c, then v2c + v1");
        assert_eq!(r.snmp[&ip(3)].rank, 0, "s3cret over v2c, inside its scope");
        // the v1 agent at .2 speaks public, which may not go there: silent
        assert!(!r.snmp.contains_key(&ip(2)), "{:?}", r.snmp.get(&ip(2)));
    }

    #[tokio::test(start_paused = true)]
    async fn no_communities_means_no_snmp_in_the_sweep() {
        let net = lab();
        let o = SweepOptions {
            communities: Vec::new(),
            ..opts(0)
        };
        let r = run(&net, &targets("192.0.2.0/29"), &o).await;
        assert!(r.snmp.is_empty());
        assert!(net.sent.lock().unwrap().iter().all(|(_, snmp)| !snmp));
    }
}

// ---------------------------------------------------- the `--count` echoes

mod echo_edge {
    use super::*;
    use crate::event::{Cancel, Events};
    use crate::probe::echo::{measure_over, EchoOptions, SEQ_BASE};
    use crate::probe::fake::FakeEcho;

    fn host(i: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0x0a4d_0000 + i))
    }

    const OPTS: EchoOptions = EchoOptions {
        count: 3,
        interval: Duration::from_millis(20),
        timeout: Duration::from_millis(500),
        rate: 50_000,
        ident: 9,
    };

    async fn run(
        net: &FakeEcho,
        hosts: &[IpAddr],
        o: EchoOptions,
    ) -> std::collections::HashMap<IpAddr, crate::model::Icmp> {
        let (_stop, cancel) = Cancel::new();
        let (events, _rx) = Events::channel();
        measure_over(net, hosts, o, &events, &cancel)
            .await
            .expect("echoes")
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_thousands_of_replies_loses_none() {
        // the scale lab's shape: thousands of hosts answering within
        // microseconds, all their replies arriving in the same instants
        let hosts: Vec<IpAddr> = (1..=4000).map(host).collect();
        let net = FakeEcho {
            rtt: hosts
                .iter()
                .map(|h| (*h, Duration::from_micros(30)))
                .collect(),
            ..FakeEcho::default()
        };
        let got = run(&net, &hosts, OPTS).await;
        assert_eq!(got.len(), 4000);
        let lost: Vec<_> = got.iter().filter(|(_, s)| s.received != 3).collect();
        assert!(lost.is_empty(), "{} hosts lost echoes", lost.len());
        // (tokio's timer rounds the fake's 30 µs up to its 1 ms tick)
        assert!(got
            .values()
            .all(|s| s.rtt_ms.as_ref().is_some_and(|r| r.max <= 1.1)));
    }

    #[tokio::test(start_paused = true)]
    async fn echoes_go_out_on_schedule() {
        let hosts: Vec<IpAddr> = (1..=100).map(host).collect();
        let net = FakeEcho {
            rtt: hosts
                .iter()
                .map(|h| (*h, Duration::from_millis(1)))
                .collect(),
            ..FakeEcho::default()
        };
        let t0 = Instant::now();
        run(&net, &hosts, OPTS).await;
        let sent = net.sent.lock().expect("sent").clone();
        assert_eq!(sent.len(), 300);
        // echoes of one host `interval` apart, with sequence numbers 0..3
        let of = |ip: IpAddr| -> Vec<(u16, Duration)> {
            sent.iter()
                .filter(|(h, ..)| *h == ip)
                .map(|(_, s, at)| (s - SEQ_BASE, *at - t0))
                .collect()
        };
        let last = of(host(100));
        assert_eq!(last.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [0, 1, 2]);
        let gaps: Vec<Duration> = last.windows(2).map(|w| w[1].1 - w[0].1).collect();
        assert!(
            gaps.iter()
                .all(|g| g.abs_diff(Duration::from_millis(20)) <= Duration::from_millis(1)),
            "{gaps:?}"
        );
        // hosts started at the rate: the 100th about 2 ms after the first
        assert!(last[0].1 <= Duration::from_millis(3), "{:?}", last[0].1);
    }

    #[tokio::test(start_paused = true)]
    async fn lost_late_and_duplicated_replies_are_counted_right() {
        let (a, b, c, d) = (host(1), host(2), host(3), host(4));
        let net = FakeEcho {
            rtt: [
                (a, Duration::from_millis(2)),
                (b, Duration::from_millis(2)),
                (c, Duration::from_millis(900)), // later than the timeout
                (d, Duration::from_millis(5)),
            ]
            .into(),
            drop: [(a, 1)].into(),
            duplicate: [b].into(),
            ..FakeEcho::default()
        };
        let silent = host(5);
        let got = run(&net, &[a, b, c, d, silent], OPTS).await;
        let rx = |ip: IpAddr| got.get(&ip).map(|s| (s.sent, s.received));
        assert_eq!(rx(a), Some((3, 2)));
        assert_eq!(rx(b), Some((3, 3)), "a duplicate counts once");
        assert_eq!(rx(c), Some((3, 0)), "a reply after the timeout is lost");
        assert_eq!(rx(d), Some((3, 3)));
        assert_eq!(rx(silent), Some((3, 0)));
        let rtt = got[&d].rtt_ms.clone().expect("rtt");
        assert!((rtt.avg - 5.0).abs() < 0.5, "{rtt:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn replies_nobody_asked_for_are_ignored() {
        let hosts = [host(1)];
        let net = FakeEcho {
            rtt: [(host(1), Duration::from_millis(1))].into(),
            ..FakeEcho::default()
        };
        // one echo asked for: the host's answers to seq 1 and 2 never
        // come, and a stranger's reply would not be counted
        let got = run(&net, &hosts, EchoOptions { count: 1, ..OPTS }).await;
        assert_eq!(got.len(), 1);
        assert_eq!((got[&host(1)].sent, got[&host(1)].received), (1, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn the_phase_ends_one_timeout_after_the_last_echo() {
        let hosts: Vec<IpAddr> = (1..=10).map(host).collect();
        let net = FakeEcho::default(); // nobody answers
        let t0 = Instant::now();
        let got = run(&net, &hosts, OPTS).await;
        let took = t0.elapsed();
        assert!(got.values().all(|s| s.received == 0 && s.sent == 3));
        // last echo at 40 ms, then the 500 ms timeout
        assert!(
            took >= Duration::from_millis(540) && took <= Duration::from_millis(545),
            "{took:?}"
        );
    }
}
