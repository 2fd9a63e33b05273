package org.pgsteward.agent.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.pekko.pki.pem.DERPrivateKeyLoader;
import org.apache.pekko.pki.pem.PEMDecoder;
import org.pgsteward.agent.config.BadConfigException;
import org.pgsteward.agent.config.NodeConfig;

/**
 * The PEM files of {@code agent.tls}, read and checked once at the agent's start, so that a wrong file is an error
 * naming its key (exit 1) instead of handshakes failing later: the same files configure Pekko's Artery TLS
 * ({@code RotatingKeysSSLEngineProvider}, which reads them itself) and this agent's HTTPS listener.
 *
 * <p>What Pekko's provider needs, and is checked here: an unencrypted RSA key (PKCS#1 or PKCS#8) that belongs to the
 * certificate; a certificate issued directly by the CA (no intermediate) and valid now; a CA certificate; and a
 * subject name (CN or DNS subjectAltName) in the certificate, since a peer is accepted only when it shares one
 * (scripts/make-certs gives every host {@code CN=pgsteward}).
 */
public final class TlsFiles {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(TlsFiles.class);
    static final String CERTIFICATE_KEY = "pgsteward.agent.tls.certificate";
    static final String PRIVATE_KEY_KEY = "pgsteward.agent.tls.private-key";
    static final String CA_KEY = PemCertificates.CA_KEY;

    private final X509Certificate certificate;
    private final PrivateKey privateKey;
    private final X509Certificate ca;

    private TlsFiles(X509Certificate certificate, PrivateKey privateKey, X509Certificate ca) {
        this.certificate = certificate;
        this.privateKey = privateKey;
        this.ca = ca;
    }

    /**
     * Reads and checks the files of {@code tls}.
     *
     * @throws BadConfigException naming the key and file at fault
     */
    public static TlsFiles load(Path configFile, NodeConfig.Tls tls) {
        X509Certificate ca = certificate(configFile, CA_KEY, tls.ca());
        if (ca.getBasicConstraints() < 0) {
            throw new BadConfigException(configFile, CA_KEY, tls.ca() + " is not a CA certificate (no basicConstraints"
                    + " CA:TRUE): give the certificate of the CA that issued the agents' certificates");
        }
        X509Certificate cert = certificate(configFile, CERTIFICATE_KEY, tls.certificate());
        try {
            cert.checkValidity();
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            throw new BadConfigException(configFile, CERTIFICATE_KEY, tls.certificate() + " is not valid now (valid from "
                    + cert.getNotBefore().toInstant() + " to " + cert.getNotAfter().toInstant() + ")");
        }
        if (!issuedBy(cert, ca)) {
            throw new BadConfigException(configFile, CERTIFICATE_KEY, tls.certificate() + " was not issued by the CA in "
                    + tls.ca() + " (" + CA_KEY + "; issuer " + cert.getIssuerX500Principal().getName() + ", CA "
                    + ca.getSubjectX500Principal().getName() + "): every agent's certificate must be issued directly by"
                    + " the cluster's CA");
        }
        if (subjectNames(cert).isEmpty()) {
            throw new BadConfigException(configFile, CERTIFICATE_KEY, tls.certificate() + " has no subject name (CN or"
                    + " DNS subjectAltName): agents accept a peer only when its certificate shares one with theirs"
                    + " (scripts/make-certs gives every host CN=pgsteward)");
        }
        PrivateKey key = privateKey(configFile, tls.privateKey());
        if (!(key instanceof RSAPrivateCrtKey rsa) || !(cert.getPublicKey() instanceof RSAPublicKey pub)
                || !rsa.getModulus().equals(pub.getModulus())) {
            throw new BadConfigException(configFile, PRIVATE_KEY_KEY, tls.privateKey() + " is not the key of "
                    + tls.certificate() + " (" + CERTIFICATE_KEY + ")");
        }
        warnIfOthersCanRead(tls.privateKey());
        return new TlsFiles(cert, key, ca);
    }

    /** The subject names Pekko compares between peers: the CN and the DNS subjectAltNames. */
    public List<String> subjectNames() {
        return subjectNames(certificate);
    }

    /** For the HTTPS listener: presents this node's certificate (and the CA) to clients; asks for no client certificate. */
    public SSLContext serverContext() {
        try {
            char[] password = randomPassword();
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("agent", privateKey, password, new java.security.cert.Certificate[] {certificate, ca});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, new SecureRandom());
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the HTTPS context: " + e.getMessage(), e);
        }
    }

    private static X509Certificate certificate(Path configFile, String key, Path file) {
        return PemCertificates.certificate(configFile, key, file);
    }

    private static PrivateKey privateKey(Path configFile, Path file) {
        String pem = new String(PemCertificates.read(configFile, PRIVATE_KEY_KEY, file), StandardCharsets.US_ASCII);
        String why = "must be an unencrypted RSA key in PEM (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE"
                + " KEY-----; Pekko's TLS reads RSA keys only)";
        if (pem.contains("ENCRYPTED")) {
            throw new BadConfigException(configFile, PRIVATE_KEY_KEY, file + " is encrypted; it " + why
                    + ": decrypt it with openssl pkey -in KEY -out PLAIN, mode 0600");
        }
        try {
            return DERPrivateKeyLoader.load(PEMDecoder.decode(pem));
        } catch (Exception e) { // why so wide: Scala throws the checked InvalidKeySpecException (an EC key read as RSA)
            throw new BadConfigException(configFile, PRIVATE_KEY_KEY, file + " " + why + ": " + rootMessage(e));
        }
    }

    private static boolean issuedBy(X509Certificate cert, X509Certificate ca) {
        if (!cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
            return false;
        }
        try {
            cert.verify(ca.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    static List<String> subjectNames(X509Certificate cert) {
        List<String> out = new ArrayList<>();
        try {
            new LdapName(cert.getSubjectX500Principal().getName()).getRdns().stream()
                    .filter(r -> r.getType().equalsIgnoreCase("CN")).findFirst()
                    .ifPresent(r -> out.add(String.valueOf(r.getValue())));
        } catch (InvalidNameException e) {
            // no CN to compare: the alternative names may still do
        }
        try {
            Optional.ofNullable(cert.getSubjectAlternativeNames()).ifPresent(names -> names.stream()
                    .filter(n -> n.size() == 2 && Integer.valueOf(2).equals(n.get(0)) && n.get(1) instanceof String)
                    .forEach(n -> out.add((String) n.get(1))));
        } catch (java.security.cert.CertificateParsingException e) {
            // unreadable alternative names: the CN alone counts
        }
        return out;
    }

    /** libpq refuses a key others can read; Pekko does not: a warning, so a working setup keeps working. */
    private static void warnIfOthersCanRead(Path key) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(key);
            if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
                log.warn("{} ({}) can be read by other users ({}): chmod 600 it", key, PRIVATE_KEY_KEY,
                        java.nio.file.attribute.PosixFilePermissions.toString(perms));
            }
        } catch (IOException | UnsupportedOperationException e) {
            // cannot tell: no warning
        }
    }

    private static char[] randomPassword() {
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return java.util.Base64.getEncoder().encodeToString(b).toCharArray();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
