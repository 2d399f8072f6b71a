"""Writes estate.cdx.json: a CycloneDX 1.6 CBOM made with cyclonedx-python-lib (pip install cyclonedx-python-lib),
so the importer is tested against what real tooling emits. Run: python3 make_cbom.py > estate.cdx.json

Two hosts: web01 serves TLS 1.2 (one strong suite, one 3DES suite) with an RSA-2048 certificate signed
SHA256withRSA; bastion01 serves SSH 2.0. One algorithm is linked to nothing, so the importer must report it."""
from datetime import datetime, timezone

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.crypto import (AlgorithmProperties, CertificateProperties, CryptoAssetType, CryptoPrimitive,
                                    CryptoProperties, ProtocolProperties, ProtocolPropertiesCipherSuite,
                                    ProtocolPropertiesType, RelatedCryptoMaterialProperties,
                                    RelatedCryptoMaterialType)
from cyclonedx.output.json import JsonV1Dot6


def crypto(name, ref, crypto_fields, **extra):
    return Component(name=name, type=ComponentType.CRYPTOGRAPHIC_ASSET, bom_ref=ref,
                     crypto_properties=CryptoProperties(**crypto_fields), **extra)


rsa = crypto("RSA-2048", "algo-rsa-2048", dict(asset_type=CryptoAssetType.ALGORITHM, algorithm_properties=AlgorithmProperties(
    primitive=CryptoPrimitive.PKE, parameter_set_identifier="2048")))
signature = crypto("SHA256withRSA", "algo-sha256-rsa", dict(asset_type=CryptoAssetType.ALGORITHM, algorithm_properties=AlgorithmProperties(
    primitive=CryptoPrimitive.SIGNATURE)))
key = crypto("RSA-2048 public key", "key-web01", dict(asset_type=CryptoAssetType.RELATED_CRYPTO_MATERIAL,
    related_crypto_material_properties=RelatedCryptoMaterialProperties(type=RelatedCryptoMaterialType.PUBLIC_KEY, size=2048,
                                                                       algorithm_ref=rsa.bom_ref)))
certificate = crypto("web01.example.com", "cert-web01", dict(asset_type=CryptoAssetType.CERTIFICATE, certificate_properties=CertificateProperties(
    subject_name="CN=web01.example.com, O=Example Corp", issuer_name="CN=Example Issuing CA 2, O=Example Corp",
    not_valid_before=datetime(2025, 12, 1, tzinfo=timezone.utc), not_valid_after=datetime(2026, 12, 20, tzinfo=timezone.utc),
    signature_algorithm_ref=signature.bom_ref, subject_public_key_ref=key.bom_ref, certificate_format="X.509")))
tls = crypto("TLSv1.2", "proto-web01-tls", dict(asset_type=CryptoAssetType.PROTOCOL, protocol_properties=ProtocolProperties(
    type=ProtocolPropertiesType.TLS, version="1.2", cipher_suites=[
        ProtocolPropertiesCipherSuite(name="TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", identifiers=["0xC0", "0x2F"]),
        ProtocolPropertiesCipherSuite(name="TLS_RSA_WITH_3DES_EDE_CBC_SHA", identifiers=["0x00", "0x0A"])])),
    properties=[Property(name="port", value="443")])
ssh = crypto("SSHv2", "proto-bastion01-ssh", dict(asset_type=CryptoAssetType.PROTOCOL, protocol_properties=ProtocolProperties(
    type=ProtocolPropertiesType.SSH, version="2.0", cipher_suites=[
        ProtocolPropertiesCipherSuite(name="chacha20-poly1305@openssh.com")])),
    properties=[Property(name="port", value="22")])
orphan = crypto("MD5", "algo-md5", dict(asset_type=CryptoAssetType.ALGORITHM, algorithm_properties=AlgorithmProperties(
    primitive=CryptoPrimitive.HASH)))

web01 = Component(name="web01.example.com", type=ComponentType.DEVICE, bom_ref="host-web01",
                  properties=[Property(name="ip_address", value="10.20.0.11"), Property(name="environment", value="production")])
bastion = Component(name="bastion01.example.com", type=ComponentType.DEVICE, bom_ref="host-bastion01",
                    properties=[Property(name="ip_address", value="10.20.0.5")])

bom = Bom()
for component in [web01, bastion, tls, ssh, certificate, key, rsa, signature, orphan]:
    bom.components.add(component)
bom.register_dependency(web01, [tls])
bom.register_dependency(tls, [certificate])
bom.register_dependency(certificate, [key, signature])
bom.register_dependency(key, [rsa])
bom.register_dependency(bastion, [ssh])
print(JsonV1Dot6(bom).output_as_string(indent=2))
