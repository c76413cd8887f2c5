#pragma once
// Fixed test keys (generated once with python3-cryptography; used only by these tests).
// k*Private: PKCS#8 PEM; k*Public: SubjectPublicKeyInfo PEM; k*Jwk*: base64url JWK members.
#include <string_view>

namespace herald::jwt::test_keys {

inline constexpr std::string_view kRsaAPrivate =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCij4MzOWMJwX+w\n"
    "4cnDoLbJnzEhsusu3cuKy+GCQMKJL0oR5aM3xUOCu+zt92EPe7jSYw8HYzWrfItx\n"
    "2/qx/j2ByjQZgMtrbdIwBkEWBMJLJxeCx8w4VDgwv50MzVTAZ+kDZrCsqzBf3IoO\n"
    "kdSYxyJQ5Z/7VL+51zB4TPO5P9XMfl0zTRodJF9uSfKFldzB1/7tV6KQjV7nvw8i\n"
    "DiWpZdDjAav5OC/CqNnpLBPfYJ3XEGCktCKNGchcgVvie6it5hQypXHWI9yAwRJc\n"
    "q8la1nrwieKWhY9th/H5FurfMp6QUOq5eTL492m7JDd6DC8r1lK22lodpY8MFLpf\n"
    "YUTBwjqfAgMBAAECggEAGOUahhs5QBK6j+ecIxH3PDxdZVhFrRk5ZSmhAPYS9Lhh\n"
    "wwjkbJOQqbJG8BCM9DaR0OJruElovDjoEAlMxLp3R+uj++3d+TdJ06H5kLos2R6E\n"
    "+rnHXC8Fpe2KSx4c5xRiumsdDmxvDZc0K1QI91azuijYTcCmVfsPCLVcM9gDUXwg\n"
    "AuQ5OL8g0J4dghmEGokQe9oV6hxdmqv3FLMg3PsQt5vzBX2bAZ4tt9hSX/3grymS\n"
    "GmujVQ/xaGEu14ZBhAReZB0vJnXf71+isFNxoe9vHeBnffIHApkhQHSRanVLGlJD\n"
    "jZiBGm3DCd76vFNOX1iODijNt42dH0qQP2POhF/F1QKBgQDZz1oAwu/cXGINkkXq\n"
    "o5QOKLY0PgU7J1NuxPaFmv304EYobBJS5Vu2Yqe0mjsXJt/pGZ8R/LI0hrYE8sUn\n"
    "OJscercrygkejb1XWpbunIsxovXu+FSfs3xLeRHwHAriMHnqDD9qlX9q2x0jqcZA\n"
    "PD717hZcDPhwEWJq33HiSnA/gwKBgQC/EDrfYD3IPQbrlum1fKzF+36BVTCrx2uY\n"
    "Lzm9NTddod2jhpomFs1KJG3lHAxsP9MudBgri5brRv3ZsTSsr3bayAYQmAjgh8Ga\n"
    "LoYbLUXdY1+AAwG2J4sF3kJgwEE9vhDUeg6yUGScd1JE3knEX67lI39K8lPN22UT\n"
    "HQSYkwnxtQKBgHgwl3W8HCf5QpJCmRo1UcnOZVzGrJRLyxpgzbhEIscxywUbPbFI\n"
    "pycpoWljgh/wb7ZtUP3X925Mt7xbSret4MoCXXlob0fQ5x6A+rCI6bZmOle36NqH\n"
    "bJspH+DjWI4gOeYRBB2IiVspthar5J4loIiM7QG2lpEgxrI6wtkgQniJAoGAIwTq\n"
    "hX6yVD07Q3sJowYS9Ma/zRy8KwAGLIKbZp6WY0cDxLErF8geIHTE37VgYYbhQiZt\n"
    "N64CH2WHqZrdOLmAY2E+G1SCbAT16ziTw+9sWsOYAXKLocNlq9GtAOa8DoEDvK4S\n"
    "e4RYrIUCQzUq+B9BgyYacrYvvg90Wyh6ayyoKfECgYBSLHoi4+IFRG1uatD073rm\n"
    "0CK8shpk62I2GSCnsAtzAha5GAjqR/QE4fmZwZ6KtIc9gVK/EbiUhtG3O6pmxc3S\n"
    "rXRLMgQ5YSNjgNNSKgzqWO2hAZGdO1bNhBJ4pe1C8x2Pf09RxMOPpmwd2mJA/gyX\n"
    "rspPnv/pDcsGtGNVO5KbSA==\n"
    "-----END PRIVATE KEY-----\n";
inline constexpr std::string_view kRsaAPublic =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAoo+DMzljCcF/sOHJw6C2\n"
    "yZ8xIbLrLt3LisvhgkDCiS9KEeWjN8VDgrvs7fdhD3u40mMPB2M1q3yLcdv6sf49\n"
    "gco0GYDLa23SMAZBFgTCSycXgsfMOFQ4ML+dDM1UwGfpA2awrKswX9yKDpHUmMci\n"
    "UOWf+1S/udcweEzzuT/VzH5dM00aHSRfbknyhZXcwdf+7VeikI1e578PIg4lqWXQ\n"
    "4wGr+TgvwqjZ6SwT32Cd1xBgpLQijRnIXIFb4nuoreYUMqVx1iPcgMESXKvJWtZ6\n"
    "8IniloWPbYfx+Rbq3zKekFDquXky+PdpuyQ3egwvK9ZSttpaHaWPDBS6X2FEwcI6\n"
    "nwIDAQAB\n"
    "-----END PUBLIC KEY-----\n";
inline constexpr std::string_view kRsaAJwkN =
    "oo-DMzljCcF_"
    "sOHJw6C2yZ8xIbLrLt3LisvhgkDCiS9KEeWjN8VDgrvs7fdhD3u40mMPB2M1q3yLcdv6sf49gco0GYDLa23SMAZBFgTCSy"
    "cXgsfMOFQ4ML-dDM1UwGfpA2awrKswX9yKDpHUmMciUOWf-1S_udcweEzzuT_VzH5dM00aHSRfbknyhZXcwdf-"
    "7VeikI1e578PIg4lqWXQ4wGr-"
    "TgvwqjZ6SwT32Cd1xBgpLQijRnIXIFb4nuoreYUMqVx1iPcgMESXKvJWtZ68IniloWPbYfx-Rbq3zKekFDquXky-"
    "PdpuyQ3egwvK9ZSttpaHaWPDBS6X2FEwcI6nw";
inline constexpr std::string_view kRsaAJwkE = "AQAB";

inline constexpr std::string_view kRsaBPrivate =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCWFWY9I4duXufv\n"
    "5GDsbcwTVBY4sVcz1+/D86eEFOu23nU2roVvpHy9fDULjg1LCf+wPDMYcPRpuNH0\n"
    "W1wKnSlVbGQ6a9PqNoeUMKzD0rJ/u6Z8Gy7Zfe1OMFx7Yr0zEyd/IuVHDQjCu16m\n"
    "vYF8Dry/Sm+EFXwVXFIifsXO0j9gJCbeQMXzNtLCTCw7wAv8+G79eSzKHc5xEygD\n"
    "JulkMiuTyq9mTuLd4XkDEhbPmuDnfZ3fk8JsbZSlkvC0TOrP40FF1WRSesKZnQ7f\n"
    "nZePdcHUmvJ+Jt1zWK265/XmnQGZbuLqrjKugQf3lEYFx9kahywfXykfDNy7TNEo\n"
    "0wtgE8mfAgMBAAECggEAEUIEr6MWP6rKINuyCX3WqaJRq9M4o82A1Jd/+8AsGqsZ\n"
    "71/CGERh06gksV90R9yueiVx+q2CbWXDPsYCn3XS+u+r1svvYk9C59dxBlOEEwwQ\n"
    "6NR3XqsMTqFhAQ8pkmXxdL0egD0PdNT23VWNPiazrYtxp06RJiOnji/lrxKeFv/k\n"
    "FisXd9CKwV9P9sjUZMYo+UZRkEwkSCE7jIuM13j+huh65iDIjku7piBdzZdN+zFU\n"
    "78A2Xr1oj0+6PIl7IwZf/ISrwFw7RicYJJmq+oEIeFkmM5lKJ4bOUD4tyUbYclLn\n"
    "l7YlANp4BPtPRcEEqyspy2Iu1X9QpLz0IlxwWKQ8AQKBgQDN11ivs6ccA1IV5Nhg\n"
    "gUw1Iko0JIvGNBycYbhrSOLV29ap1re8//EPvuX4E77i5A4BQj+mwJuHuiP6zT4E\n"
    "4sciINm5Ab4CU3hNntRO4jbonNyA+bnHeqrXOhI6KWcebGbl67rgwFOopYglNeSe\n"
    "0c8PG7lhbiWBVW6ZxOjFmt/ofwKBgQC6p9FW1DcINaqv8yQqNKf0TeQj52ozCA3K\n"
    "wUIl8/pXWjqeVqrCbuoYN86AGBXBmO20fiw5Dp0Uo/NBlFDyi8SDDf8xZR672EVs\n"
    "nAlvIBCMQxpZK04uZvtdDtBddMOwUQ/N5GUHOtUFHTZg6WxiomgL8U3s7u2rs6x0\n"
    "Sc51+K6O4QKBgQCXa3yv84ZQkxjFRkzt4O+AfrL7XI79xMPvPet98GX9T/S/h1Yu\n"
    "UFCydomRTmUzXvP2dReBwVooJAPnsSeYTIKUVnoTIHb4GxL6doZTaRFfWFTVA99o\n"
    "IJKgNPXHl0FmHfQr2pbkUla4TtyyEs0VD94zjP937qDkXUY5E6LwChgAXQKBgEDE\n"
    "Aisyr3W1yWgL4byTUMPAUyzyGzNh1AdKT32DzpWIxVYzlESq36dPleN0d/gY7EH4\n"
    "lbemjnKfAMT8hanjPWiL7sRg5e0f+dbZvZxFb/h7QCU4lYQcT5PWlA4Zed0wA1/Z\n"
    "pASCMW/41umBlQ4UdC3QqM1Rij5NtcUT5wOgKlGBAoGAECeVFr/5DAYgrKmzVSPc\n"
    "vF4A/IXYL11djIcQJv6Y8lkSBgoJ6Vkes3yub6uOn42X2bT4WqXagT0idzbQPi9a\n"
    "fEEr7iGBeli80HpY/kA2Y+AKJasW9NfV4x8C4TfJ+glIK0RDeDckuYu6JvfxvOLm\n"
    "otn8luy+GNFevbJXTX0Fc1A=\n"
    "-----END PRIVATE KEY-----\n";
inline constexpr std::string_view kRsaBPublic =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlhVmPSOHbl7n7+Rg7G3M\n"
    "E1QWOLFXM9fvw/OnhBTrtt51Nq6Fb6R8vXw1C44NSwn/sDwzGHD0abjR9FtcCp0p\n"
    "VWxkOmvT6jaHlDCsw9Kyf7umfBsu2X3tTjBce2K9MxMnfyLlRw0Iwrtepr2BfA68\n"
    "v0pvhBV8FVxSIn7FztI/YCQm3kDF8zbSwkwsO8AL/Phu/Xksyh3OcRMoAybpZDIr\n"
    "k8qvZk7i3eF5AxIWz5rg532d35PCbG2UpZLwtEzqz+NBRdVkUnrCmZ0O352Xj3XB\n"
    "1Jryfibdc1ituuf15p0BmW7i6q4yroEH95RGBcfZGocsH18pHwzcu0zRKNMLYBPJ\n"
    "nwIDAQAB\n"
    "-----END PUBLIC KEY-----\n";
inline constexpr std::string_view kRsaBJwkN =
    "lhVmPSOHbl7n7-Rg7G3ME1QWOLFXM9fvw_OnhBTrtt51Nq6Fb6R8vXw1C44NSwn_"
    "sDwzGHD0abjR9FtcCp0pVWxkOmvT6jaHlDCsw9Kyf7umfBsu2X3tTjBce2K9MxMnfyLlRw0Iwrtepr2BfA68v0pvhBV8FV"
    "xSIn7FztI_YCQm3kDF8zbSwkwsO8AL_Phu_"
    "Xksyh3OcRMoAybpZDIrk8qvZk7i3eF5AxIWz5rg532d35PCbG2UpZLwtEzqz-"
    "NBRdVkUnrCmZ0O352Xj3XB1Jryfibdc1ituuf15p0BmW7i6q4yroEH95RGBcfZGocsH18pHwzcu0zRKNMLYBPJnw";
inline constexpr std::string_view kRsaBJwkE = "AQAB";

inline constexpr std::string_view kRsaSmallPrivate =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICeAIBADANBgkqhkiG9w0BAQEFAASCAmIwggJeAgEAAoGBAMceA4PSFMHtEVmH\n"
    "PHhLDGhYIDP+EW+G0qH/F+Y7zU6SGG7I5UQdV8JBMCpgoGvkwAVpAZ1ezaEWsygT\n"
    "ndh1jDB2yfWYuOO1QQeXP/ygbCARzQHlRUqxfq8uQ8wIEUud+dZIy9zt7S/IwigN\n"
    "64mBAACqIMuqdxgOZuReigJ+l4oHAgMBAAECgYEAwdSozUjTZhhV3FY2ek9sS6MF\n"
    "7jb0WCHhp0sAw+IRMNwtJqMv84ew52u37HjVkVJDzsByjvQ7rgW/71JxRMbg6JEM\n"
    "urrym0E9N6VNKdPB5m39RQnlKPIMVwd1a4G63GDCXbVa6sZYWaQ8gBAEVkxazpUv\n"
    "skdsrNtePMnwqX2khMECQQDlMBsAtV+hzsrVPjOdB/uXGVfORtMznCMr4R/TuPWf\n"
    "tJBdOXW1RTf3HJAzxjr/2e2BbGnhZqZjs5xvH2sJ0iuhAkEA3mlUL0zdH36b6eDR\n"
    "9DQ/9Xr/Hm3Fv0NfrGo6kUMm/FRX0nUtkL0v+YZXQdZHWuQV9bzjGFcBtyzuIz85\n"
    "bsSUpwJADEnqCL2w5QIrigeNyOu2p8FqHdtaU7gZgq7NgBK4yNlrrDP6hb+yYoOb\n"
    "j8sfOry6qWfgvX89iLcGukaa/KnSQQJBAK4vE21P50WJJJZQKl30pbqdLzwngF1A\n"
    "aKdhMqkdTGUFsRn0B1F5uR7UpXW8WXnHc6NW4Qvo6EELAR29oD8t2bUCQQCrX2nN\n"
    "XRq4kiCPMGdtSHIVr9C/sIu+dYL7enivrMFjDyMFvftvH8ulACnh3jGZZ6+XrerX\n"
    "GACclb9kqYkNJRD7\n"
    "-----END PRIVATE KEY-----\n";
inline constexpr std::string_view kRsaSmallPublic =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDHHgOD0hTB7RFZhzx4SwxoWCAz\n"
    "/hFvhtKh/xfmO81OkhhuyOVEHVfCQTAqYKBr5MAFaQGdXs2hFrMoE53YdYwwdsn1\n"
    "mLjjtUEHlz/8oGwgEc0B5UVKsX6vLkPMCBFLnfnWSMvc7e0vyMIoDeuJgQAAqiDL\n"
    "qncYDmbkXooCfpeKBwIDAQAB\n"
    "-----END PUBLIC KEY-----\n";
inline constexpr std::string_view kRsaSmallJwkN =
    "xx4Dg9IUwe0RWYc8eEsMaFggM_4Rb4bSof8X5jvNTpIYbsjlRB1XwkEwKmCga-"
    "TABWkBnV7NoRazKBOd2HWMMHbJ9Zi447VBB5c__KBsIBHNAeVFSrF-"
    "ry5DzAgRS5351kjL3O3tL8jCKA3riYEAAKogy6p3GA5m5F6KAn6Xigc";
inline constexpr std::string_view kRsaSmallJwkE = "AQAB";

inline constexpr std::string_view kEc256APrivate =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgbpv0pqQTq4VWS4TL\n"
    "qjrT5miiV2/KZuZaVUmRZTAh5Q6hRANCAASnDQlNKOznptDIFuejTnVPOuIzFyrr\n"
    "8hBsN9Oikt9VFuv+yoFFiCp1Q4MmBFuMPLc2tJG1NX1/ivHlPhruqMIt\n"
    "-----END PRIVATE KEY-----\n";
inline constexpr std::string_view kEc256APublic =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEpw0JTSjs56bQyBbno051TzriMxcq\n"
    "6/IQbDfTopLfVRbr/sqBRYgqdUODJgRbjDy3NrSRtTV9f4rx5T4a7qjCLQ==\n"
    "-----END PUBLIC KEY-----\n";
inline constexpr std::string_view kEc256AJwkX = "pw0JTSjs56bQyBbno051TzriMxcq6_IQbDfTopLfVRY";
inline constexpr std::string_view kEc256AJwkY = "6_7KgUWIKnVDgyYEW4w8tza0kbU1fX-K8eU-Gu6owi0";
inline constexpr std::string_view kEc256AJwkD = "bpv0pqQTq4VWS4TLqjrT5miiV2_KZuZaVUmRZTAh5Q4";

inline constexpr std::string_view kEc256BPrivate =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgLTd1VnctEm3saWHI\n"
    "xpkraP/R0IfgGl6TptJvcRALpXChRANCAAT60Q2OYAXUHzuFs6ZkwfvcOkM1yAZL\n"
    "FiCfZk+AqRnbzw8S8PC8ijZaXXdinqKcYxYFC8EvMnz7gJ7XOBmaw5sV\n"
    "-----END PRIVATE KEY-----\n";
inline constexpr std::string_view kEc256BPublic =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+tENjmAF1B87hbOmZMH73DpDNcgG\n"
    "SxYgn2ZPgKkZ288PEvDwvIo2Wl13Yp6inGMWBQvBLzJ8+4Ce1zgZmsObFQ==\n"
    "-----END PUBLIC KEY-----\n";
inline constexpr std::string_view kEc256BJwkX = "-tENjmAF1B87hbOmZMH73DpDNcgGSxYgn2ZPgKkZ288";
inline constexpr std::string_view kEc256BJwkY = "DxLw8LyKNlpdd2KeopxjFgULwS8yfPuAntc4GZrDmxU";
inline constexpr std::string_view kEc256BJwkD = "LTd1VnctEm3saWHIxpkraP_R0IfgGl6TptJvcRALpXA";

inline constexpr std::string_view kEc384Private =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDDdJu0CD9tNQsgKhm/8\n"
    "Pb7W8xZZaE9fwvsmEvmtOAoNuk8q4EHPmIv4Y1PVGOXR4aqhZANiAAS94rmXeA8/\n"
    "wQ023rafAEsD093R0y66eVyAApHxWYQ9669az35em5dQty7PxICIm27S+5PH4nI5\n"
    "ck3KrCsXbd919VbKXxvAK1ECwZqZiWlqQqqgGCnN4UlaoxrU4WhLQ2A=\n"
    "-----END PRIVATE KEY-----\n";
inline constexpr std::string_view kEc384Public =
    "-----BEGIN PUBLIC KEY-----\n"
    "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEveK5l3gPP8ENNt62nwBLA9Pd0dMuunlc\n"
    "gAKR8VmEPeuvWs9+XpuXULcuz8SAiJtu0vuTx+JyOXJNyqwrF23fdfVWyl8bwCtR\n"
    "AsGamYlpakKqoBgpzeFJWqMa1OFoS0Ng\n"
    "-----END PUBLIC KEY-----\n";
inline constexpr std::string_view kEc384JwkX =
    "veK5l3gPP8ENNt62nwBLA9Pd0dMuunlcgAKR8VmEPeuvWs9-XpuXULcuz8SAiJtu";
inline constexpr std::string_view kEc384JwkY =
    "0vuTx-JyOXJNyqwrF23fdfVWyl8bwCtRAsGamYlpakKqoBgpzeFJWqMa1OFoS0Ng";
inline constexpr std::string_view kEc384JwkD =
    "3SbtAg_bTULICoZv_D2-1vMWWWhPX8L7JhL5rTgKDbpPKuBBz5iL-GNT1Rjl0eGq";

inline constexpr std::string_view kEcK1Private =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGEAgEAMBAGByqGSM49AgEGBSuBBAAKBG0wawIBAQQgJk2A/di80O7JJfUXpE+6\n"
    "PBwdLpXdizXx0Y1B7ZKakmOhRANCAARgKLkLvI3DpFI++/8sKXwi26DRIVsxMwUS\n"
    "VYA5RzPiiW/XwR3Kq490E3WpwDGv3MTjLo7MujKk4EypU+7KwykJ\n"
    "-----END PRIVATE KEY-----\n";
inline constexpr std::string_view kEcK1Public =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAEYCi5C7yNw6RSPvv/LCl8Itug0SFbMTMF\n"
    "ElWAOUcz4olv18EdyquPdBN1qcAxr9zE4y6OzLoypOBMqVPuysMpCQ==\n"
    "-----END PUBLIC KEY-----\n";
inline constexpr std::string_view kEcK1JwkX = "YCi5C7yNw6RSPvv_LCl8Itug0SFbMTMFElWAOUcz4ok";
inline constexpr std::string_view kEcK1JwkY = "b9fBHcqrj3QTdanAMa_cxOMujsy6MqTgTKlT7srDKQk";
inline constexpr std::string_view kEcK1JwkD = "Jk2A_di80O7JJfUXpE-6PBwdLpXdizXx0Y1B7ZKakmM";

inline constexpr std::string_view kEd25519Private =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIEcCpLKBAGI5BtvU6814GWz1HWDc7qv8+kafsGvmIMOs\n"
    "-----END PRIVATE KEY-----\n";
inline constexpr std::string_view kEd25519Public =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAODjnJdwOmLd0iYOdFNpXyqwZyRcs825024SF1Titzuo=\n"
    "-----END PUBLIC KEY-----\n";

inline constexpr std::string_view kRsaAPublicPkcs1 =
    "-----BEGIN RSA PUBLIC KEY-----\n"
    "MIIBCgKCAQEAoo+DMzljCcF/sOHJw6C2yZ8xIbLrLt3LisvhgkDCiS9KEeWjN8VD\n"
    "grvs7fdhD3u40mMPB2M1q3yLcdv6sf49gco0GYDLa23SMAZBFgTCSycXgsfMOFQ4\n"
    "ML+dDM1UwGfpA2awrKswX9yKDpHUmMciUOWf+1S/udcweEzzuT/VzH5dM00aHSRf\n"
    "bknyhZXcwdf+7VeikI1e578PIg4lqWXQ4wGr+TgvwqjZ6SwT32Cd1xBgpLQijRnI\n"
    "XIFb4nuoreYUMqVx1iPcgMESXKvJWtZ68IniloWPbYfx+Rbq3zKekFDquXky+Pdp\n"
    "uyQ3egwvK9ZSttpaHaWPDBS6X2FEwcI6nwIDAQAB\n"
    "-----END RSA PUBLIC KEY-----\n";
inline constexpr std::string_view kRsaAPrivateTraditional =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEogIBAAKCAQEAoo+DMzljCcF/sOHJw6C2yZ8xIbLrLt3LisvhgkDCiS9KEeWj\n"
    "N8VDgrvs7fdhD3u40mMPB2M1q3yLcdv6sf49gco0GYDLa23SMAZBFgTCSycXgsfM\n"
    "OFQ4ML+dDM1UwGfpA2awrKswX9yKDpHUmMciUOWf+1S/udcweEzzuT/VzH5dM00a\n"
    "HSRfbknyhZXcwdf+7VeikI1e578PIg4lqWXQ4wGr+TgvwqjZ6SwT32Cd1xBgpLQi\n"
    "jRnIXIFb4nuoreYUMqVx1iPcgMESXKvJWtZ68IniloWPbYfx+Rbq3zKekFDquXky\n"
    "+PdpuyQ3egwvK9ZSttpaHaWPDBS6X2FEwcI6nwIDAQABAoIBABjlGoYbOUASuo/n\n"
    "nCMR9zw8XWVYRa0ZOWUpoQD2EvS4YcMI5GyTkKmyRvAQjPQ2kdDia7hJaLw46BAJ\n"
    "TMS6d0fro/vt3fk3SdOh+ZC6LNkehPq5x1wvBaXtikseHOcUYrprHQ5sbw2XNCtU\n"
    "CPdWs7oo2E3AplX7Dwi1XDPYA1F8IALkOTi/INCeHYIZhBqJEHvaFeocXZqr9xSz\n"
    "INz7ELeb8wV9mwGeLbfYUl/94K8pkhpro1UP8WhhLteGQYQEXmQdLyZ13+9forBT\n"
    "caHvbx3gZ33yBwKZIUB0kWp1SxpSQ42YgRptwwne+rxTTl9Yjg4ozbeNnR9KkD9j\n"
    "zoRfxdUCgYEA2c9aAMLv3FxiDZJF6qOUDii2ND4FOydTbsT2hZr99OBGKGwSUuVb\n"
    "tmKntJo7Fybf6RmfEfyyNIa2BPLFJzibHHq3K8oJHo29V1qW7pyLMaL17vhUn7N8\n"
    "S3kR8BwK4jB56gw/apV/atsdI6nGQDw+9e4WXAz4cBFiat9x4kpwP4MCgYEAvxA6\n"
    "32A9yD0G65bptXysxft+gVUwq8drmC85vTU3XaHdo4aaJhbNSiRt5RwMbD/TLnQY\n"
    "K4uW60b92bE0rK922sgGEJgI4IfBmi6GGy1F3WNfgAMBtieLBd5CYMBBPb4Q1HoO\n"
    "slBknHdSRN5JxF+u5SN/SvJTzdtlEx0EmJMJ8bUCgYB4MJd1vBwn+UKSQpkaNVHJ\n"
    "zmVcxqyUS8saYM24RCLHMcsFGz2xSKcnKaFpY4If8G+2bVD91/duTLe8W0q3reDK\n"
    "Al15aG9H0OcegPqwiOm2ZjpXt+jah2ybKR/g41iOIDnmEQQdiIlbKbYWq+SeJaCI\n"
    "jO0BtpaRIMayOsLZIEJ4iQKBgCME6oV+slQ9O0N7CaMGEvTGv80cvCsABiyCm2ae\n"
    "lmNHA8SxKxfIHiB0xN+1YGGG4UImbTeuAh9lh6ma3Ti5gGNhPhtUgmwE9es4k8Pv\n"
    "bFrDmAFyi6HDZavRrQDmvA6BA7yuEnuEWKyFAkM1KvgfQYMmGnK2L74PdFsoemss\n"
    "qCnxAoGAUix6IuPiBURtbmrQ9O965tAivLIaZOtiNhkgp7ALcwIWuRgI6kf0BOH5\n"
    "mcGeirSHPYFSvxG4lIbRtzuqZsXN0q10SzIEOWEjY4DTUioM6ljtoQGRnTtWzYQS\n"
    "eKXtQvMdj39PUcTDj6ZsHdpiQP4Ml67KT57/6Q3LBrRjVTuSm0g=\n"
    "-----END RSA PRIVATE KEY-----\n";
inline constexpr std::string_view kRsaAPrivateEncrypted =
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
    "MIIFLTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQIIEf7TIytpecCAggA\n"
    "MAwGCCqGSIb3DQIJBQAwHQYJYIZIAWUDBAEqBBAyShJMk/CH/YYJ5spnzBqJBIIE\n"
    "0L9b3ycJSFf2VBTqUk1+e0qw1pcR/FQEqqyFgWsWVgsfZixmZdvEGjcntA8sn8EO\n"
    "RsqbmiMQxqnNjHC3WrfZYQ67h94HNJaDPxcS/6pkY6yTE1bcmIMQZJ1ZZ4FtD/TQ\n"
    "wj/94TJHBG9AlDF68d/x/TaoV4qwPM3PmGk84RSJqI7sauv2ef70XkbI07npy1Zw\n"
    "NYZGGH6AQiGYPl4pox30RYBNdl3rOQS4cC6/25wQAyEEhnaowfgq53ZoSakY8rRV\n"
    "irAifOAUYVZfbFNKixMP+FVRTDz83zCI5lnspNibYW0cdp2+uDzPw9wKdYBupDM0\n"
    "nWBjLV8POKUq3G13T7qq+J8A+MtXnbtC5qYl8pu6l5tY7PXL6C6v2VJ9dtyIMUKW\n"
    "pdjKejHw3sxYbZ/Pr9F5mB16DGvEv8g3tLLD1Qv0fz+TDKqfbtxYUawsa2J7YJvR\n"
    "oI8V65vRyFnR6Khh0LHIyh0Rgd5IRexx4ljZuGbh4W1WNFpjRLvWoOY7aw350kEH\n"
    "VkibNh8psB/72J8WKrNT/MnTIFj/GTCCV9RmO5wHFdKtdxJMUtN610raTI9MWSNj\n"
    "kgGzZqzmrsT8YZJj5/hYwBoGV/IgnikY06cQCMCpS30sHtzdlM20UTlkjHMQqj/t\n"
    "cO8iNXvhvIzZhnFjIYYZyL73EMROPWTQKtGD/fAwO6btNn5ROURmkNDqcXeb+afd\n"
    "Css2KlzE9/YOmLM5axL3mY+TcGar4DNXXXAFka0UH7/s0aeNOGrdnvO7xRn+UEOB\n"
    "HYHK1kG+VG6YmynuTIsOJq6hKMQHvJx35L8OcChIblgTT4QjkgpEGSuv4VfSeOlE\n"
    "Rtr2cIRAbuDNh8+D0aNufC0F9f/QxXY7KPI/gQoO+3eKuxPfd3HXQLTVkLuW82UZ\n"
    "2tPIMcnn5pWPrWJ/pl+5ZKUvreus6BlzbBXOCUOvRCLiEdQVWqDzJap4MmrY6czE\n"
    "zRWn9dAoW6zeHIlDAphS/biQCA2wzS/dvYf/m4EWLEa11d5wBSZSkbnxKi8/9+WN\n"
    "hkHND9aFJ0que/Csu9JYbbGMR4lVejOLSTn9kY2NT/HcbgoiHVUTrTUiiMe11zii\n"
    "y8Z1CLGTNhDLHxsiV2GxhoilRSUT04zHBmWZiFQrSoB2db+KesoHhCFYzFGDeq71\n"
    "xT6PBfwDh0a44vaMDrdpEomOZyudaXL3fguG82fKzYqW3yOVEW2jfpW51+X6bik8\n"
    "RBCtDDSDIDv4UdZO/Ak/vDZJymaJcnPOiJ5XE1GfJF091YRcgfiJ1ktxVSDbqacU\n"
    "sYRZ1gus7CDK+dRhFw2YxiMwbyttZxwvay4JgnXbxxSE+jIdAvKZxkT9H1WfuF8t\n"
    "NOpy45s8DBa3F/O6MTqtFSsDl5DiWs9ML+rMIw/HHU96WWJlVul9QDPQpeP6vmUT\n"
    "2DIr8Uf222CRXaO4GdnoBdaYfNdi8v+VjBBYVSncqsbIzWc30tmhW+nYUMqP8JTs\n"
    "mNakJqjaq35ArJW8IjdvgnCyJD4rreklMHZT180JiQxd53EjkaSCSbnAbcN6KSn8\n"
    "lQ6/gG/uwcRHRa9YVOAZ94DwB+S5lB4SILYmiWsJjjE9n3wk6TPu9PZEYjAfxSgT\n"
    "2HtO/yuTgQJO2k5E/c75plbBE5UQXg2gei7EDB14Ons+\n"
    "-----END ENCRYPTED PRIVATE KEY-----\n";

}  // namespace herald::jwt::test_keys
