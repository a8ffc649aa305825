"""Sending to the channel layer never fails a committed write."""


def test_a_failed_layer_send_is_logged_and_reported_not_raised(monkeypatch, caplog):
    from channels.layers import channel_layers

    from counseling import notifications

    class BrokenLayer:
        async def group_send(self, group, event):
            raise ConnectionError("redis is restarting")

    monkeypatch.setattr(notifications, "get_channel_layer", lambda: BrokenLayer())
    assert notifications.notify_user_now(user_id=1, payload={"type": "x"}) is False
    assert "resync from the database" in caplog.text
    channel_layers.backends.clear()
