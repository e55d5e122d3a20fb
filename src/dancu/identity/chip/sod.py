"""The Document Security Object (EF.SOD) of an ICAO 9303 chip, and the data groups it covers.

EF.SOD is a CMS SignedData (RFC 5652) whose encapsulated content is an
``LDSSecurityObject``: the hash algorithm and one hash per data group. It is stored in the
chip under the application tag 0x77. Data groups are BER-TLV files: DG1 (tag 0x61) holds
the MRZ under tag 0x5F1F, DG2 (tag 0x75) the face biometric template.

The ASN.1 follows ICAO Doc 9303 Part 10, section 4.6.2 (``LDSSecurityObject``).
"""

from __future__ import annotations

from asn1crypto import algos, cms, core, parser

LDS_SECURITY_OBJECT_OID = "2.23.136.1.1.1"  # id-icao-mrtd-security-ldsSecurityObject
SOD_TAG = 23  # application 23, constructed: 0x77
DG_TAGS = {1: 1, 2: 21}  # data group -> application tag (0x61, 0x75)
MRZ_TAG = 31  # application 31, primitive: 0x5F1F


class DataGroupHash(core.Sequence):
    _fields = [  # noqa: RUF012 -- asn1crypto reads a list
        ("data_group_number", core.Integer),
        ("data_group_hash_value", core.OctetString),
    ]


class DataGroupHashValues(core.SequenceOf):
    _child_spec = DataGroupHash


class LDSVersionInfo(core.Sequence):
    _fields = [  # noqa: RUF012 -- asn1crypto reads a list
        ("lds_version", core.PrintableString),
        ("unicode_version", core.PrintableString),
    ]


class LDSSecurityObject(core.Sequence):
    _fields = [  # noqa: RUF012 -- asn1crypto reads a list
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashValues),
        ("lds_version_info", LDSVersionInfo, {"optional": True}),
    ]


class SodFormatError(ValueError):
    """The bytes are not a well-formed EF.SOD (or data group)."""


def unwrap_sod(data: bytes) -> cms.SignedData:
    """The SignedData inside an EF.SOD (with or without its 0x77 wrapper)."""
    try:
        if data[:1] == b"\x77":
            class_, _method, tag, _header, contents, _trailer = parser.parse(data, strict=True)
            if (class_, tag) != (1, SOD_TAG):
                raise SodFormatError("not an EF.SOD")
            data = contents
        info = cms.ContentInfo.load(data, strict=True)
        if info["content_type"].native != "signed_data":
            raise SodFormatError("the content is not SignedData")
        # Parsed lazily: a field malformed deeper down raises when it is read, and
        # ``verify_chip`` reports that as a malformed EF.SOD (decoding every field up
        # front cost half of a verification).
        return info["content"]
    except (ValueError, TypeError, KeyError) as exc:
        if isinstance(exc, SodFormatError):
            raise
        raise SodFormatError(str(exc)) from exc


def security_object(signed: cms.SignedData) -> tuple[bytes, LDSSecurityObject]:
    """The encapsulated content's bytes and the parsed ``LDSSecurityObject``."""
    encap = signed["encap_content_info"]
    if encap["content_type"].dotted != LDS_SECURITY_OBJECT_OID:
        raise SodFormatError("the signed content is not an LDSSecurityObject")
    content = encap["content"]
    if content.native is None:
        raise SodFormatError("the SignedData carries no content")
    raw = content.contents if isinstance(content, core.OctetString) else bytes(content.native)
    try:
        lds = LDSSecurityObject.load(raw, strict=True)
        lds.native  # noqa: B018
    except (ValueError, TypeError) as exc:
        raise SodFormatError(str(exc)) from exc
    return raw, lds


def data_group_hashes(lds: LDSSecurityObject) -> dict[int, bytes]:
    return {
        item["data_group_number"].native: item["data_group_hash_value"].native
        for item in lds["data_group_hash_values"]
    }


def wrap_sod(content_info: cms.ContentInfo) -> bytes:
    return parser.emit(1, 1, SOD_TAG, content_info.dump())


def encode_dg1(mrz: str) -> bytes:
    """DG1 of a TD1 card: the 90 MRZ characters (no line breaks) under 0x61 / 0x5F1F."""
    zone = "".join(mrz.split())
    inner = parser.emit(1, 0, MRZ_TAG, zone.encode("ascii"))
    return parser.emit(1, 1, DG_TAGS[1], inner)


def decode_dg1(data: bytes) -> str:
    """The MRZ in DG1 as three lines of 30 characters."""
    try:
        class_, _m, tag, _h, contents, _t = parser.parse(data, strict=True)
        if (class_, tag) != (1, DG_TAGS[1]):
            raise SodFormatError("DG1 does not start with tag 0x61")
        class_, _m, tag, _h, zone, _t = parser.parse(contents, strict=True)
        if (class_, tag) != (1, MRZ_TAG):
            raise SodFormatError("DG1 holds no MRZ (tag 0x5F1F)")
        text = zone.decode("ascii")
    except (ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, SodFormatError):
            raise
        raise SodFormatError(str(exc)) from exc
    return "\n".join(text[i : i + 30] for i in range(0, len(text), 30))


def encode_dg2(image: bytes) -> bytes:
    """A DG2 file: the face image under the biometric template tag 0x75 (simplified)."""
    return parser.emit(1, 1, DG_TAGS[2], parser.emit(1, 0, 0x2E, image))
