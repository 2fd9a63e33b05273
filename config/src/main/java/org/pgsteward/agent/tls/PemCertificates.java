package org.pgsteward.agent.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.pgsteward.agent.config.BadConfigException;

/**
 * The {@code agent.tls} files as the console needs them too: PEM certificates read with errors naming the key, and a
 * client context trusting only the cluster's CA. JDK only, so the console needs neither Pekko nor the agent
 * ({@link TlsFiles}, in the agent, reads the private key and builds the server side).
 */
public final class PemCertificates {

    static final String CA_KEY = "pgsteward.agent.tls.ca";

    private PemCertificates() {}

    /**
     * A client context that trusts only the CA certificate in {@code caFile} (the console's, towards an agent's HTTPS
     * listener); host names are still verified by the client.
     *
     * @throws BadConfigException naming {@code pgsteward.agent.tls.ca} when the file is not a readable certificate
     */
    public static SSLContext trusting(Path configFile, Path caFile) {
        X509Certificate ca = certificate(configFile, CA_KEY, caFile);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("ca", ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), new SecureRandom());
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a TLS context trusting " + caFile + ": " + e.getMessage(), e);
        }
    }

    /** The first certificate of a PEM file; {@code key} is the configuration key that named the file. */
    public static X509Certificate certificate(Path configFile, String key, Path file) {
        byte[] bytes = read(configFile, key, file);
        try {
            Collection<? extends java.security.cert.Certificate> certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(bytes));
            if (certs.isEmpty() || !(certs.iterator().next() instanceof X509Certificate first)) {
                throw new CertificateException("no certificate in it");
            }
            return first;
        } catch (CertificateException e) {
            throw new BadConfigException(configFile, key, file + " is not a PEM certificate (-----BEGIN CERTIFICATE-----): "
                    + e.getMessage());
        }
    }

    /** The bytes of a file named by {@code key}, or an error naming the key and what is wrong. */
    public static byte[] read(Path configFile, String key, Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadConfigException(configFile, key, "no such file \"" + file + "\"");
        } catch (AccessDeniedException e) {
            throw new BadConfigException(configFile, key, "cannot read \"" + file + "\" (permission denied; the agent's"
                    + " user must be able to read it)");
        } catch (IOException e) {
            throw new BadConfigException(configFile, key, "cannot read \"" + file + "\": " + e.getMessage());
        }
    }
}
