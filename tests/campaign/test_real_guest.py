"""What `campaign --real` hands the guest (mirrorpass/campaign/real.py)."""

from __future__ import annotations

from mirrorpass.campaign.real import GUEST_INJECTOR, _guest_env


def test_the_native_injector_is_preloaded_from_a_guest_path_outside_tmp():
    """The guest mounts a fresh tmpfs on /tmp: a checkout under /tmp (CI's) used to preload the injector
    from a path the guest hid, and the native build lost nothing."""
    native = _guest_env("native", {"inject_count": 1, "inject_method": "hwpoison"})
    assert native == {"MIRROR_OPTIONS": "inject_count=1:inject_method=hwpoison", "LD_PRELOAD": GUEST_INJECTOR}
    assert not GUEST_INJECTOR.startswith("/tmp/")
    assert "LD_PRELOAD" not in _guest_env("mirrored", {"inject_count": 1})
    assert _guest_env("native", {}) == {}
