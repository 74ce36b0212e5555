//! HTTPS for the contract server: a private CA and a server certificate for
//! `127.0.0.1` / `localhost`, generated at start with rcgen, served through
//! tokio-rustls (ring, the provider the rest of the tree uses). The CA certificate is
//! written to a PEM file that lives as long as the [`CaFile`] value (held by the
//! `ContractServer`), so tests can point `sslConfig.caCertificate` at it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// The PEM file of the CA clients need to trust the server; deleted on drop.
pub(super) struct CaFile {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl CaFile {
    /// Where the PEM file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A fresh CA, a server certificate it signs, an acceptor serving that certificate and
/// the CA's PEM file.
pub(super) fn generate() -> (TlsAcceptor, CaFile) {
    let mut ca_params =
        CertificateParams::new(Vec::<String>::new()).expect("contract server: CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "dynameta contract server test CA",
    );
    let ca_key = KeyPair::generate().expect("contract server: CA key");
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("contract server: CA");

    let server_params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("contract server: certificate params");
    let server_key = KeyPair::generate().expect("contract server: key");
    let server_cert = server_params
        .signed_by(&server_key, &ca)
        .expect("contract server: certificate");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("contract server: TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![server_cert.der().clone(), ca.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        )
        .expect("contract server: TLS config");

    let dir = tempfile::tempdir().expect("contract server: temporary folder");
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, ca.pem()).expect("contract server: write ca.pem");
    (
        TlsAcceptor::from(Arc::new(config)),
        CaFile { path, _dir: dir },
    )
}
