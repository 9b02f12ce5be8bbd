from __future__ import annotations

from xml.etree import ElementTree

from avatars.features.avatar.render_avatar.command import RenderAvatar
from avatars.features.avatar.render_avatar.handler import AvatarNotFound, Render, render_avatar
from avatars.svg import Drawing, draw
from fleetkit.ids import new_id

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '</title><script>alert("x")</script><a href="javascript:1">&amp;'


def test_the_drawing_is_deterministic_whatever_the_accessory_order():
    def drawing(accessories: list[str]) -> str:
        return draw(Drawing(shape="square", background="#010203", foreground="#ffffff",
                            accent="#abcdef", accessories=accessories, name="Ann Bee"))  # fmt: skip

    assert drawing(["hat", "crown", "glasses"]) == drawing(["glasses", "hat", "crown"])
    assert drawing(["hat"]) != drawing(["crown"])


def test_user_text_is_escaped_and_the_drawing_stays_well_formed():
    svg = draw(Drawing(shape="circle", background=None, foreground=None, accent=None,
                       accessories=None, name=HOSTILE))  # fmt: skip
    root = ElementTree.fromstring(svg)
    assert root.find(f"{SVG}title").text == HOSTILE
    assert root.find(f".//{SVG}script") is None
    assert root.find(f".//{SVG}a") is None
    assert "<script" not in svg


def test_a_colour_that_is_not_rrggbb_never_reaches_an_attribute():
    svg = draw(Drawing(shape="circle", background='#000000" onload="x', foreground=None,
                       accent=None, accessories=None, name="A"))  # fmt: skip
    assert "onload" not in svg


async def test_render_reads_the_prerendered_snapshot(pool, alice, avatar_of):
    avatar_id = await avatar_of(alice)
    render = await render_avatar(RenderAvatar(avatar_id), pool=pool)
    assert isinstance(render, Render)
    assert render.svg.startswith("<svg")
    assert isinstance(await render_avatar(RenderAvatar(new_id()), pool=pool), AvatarNotFound)


async def test_get_svg_is_public_cacheable_and_safe_to_embed(client, alice, avatar_of):
    avatar_id = await avatar_of(alice, HOSTILE[:50])
    response = await client.get(f"/v1/avatars/{avatar_id}.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    root = ElementTree.fromstring(response.content)
    assert root.find(f".//{SVG}script") is None
    assert response.headers["etag"].startswith('"')


async def test_get_svg_answers_304_to_a_matching_if_none_match(client, alice, avatar_of):
    avatar_id = await avatar_of(alice)
    first = await client.get(f"/v1/avatars/{avatar_id}.svg")
    again = await client.get(f"/v1/avatars/{avatar_id}.svg", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    weak = await client.get(f"/v1/avatars/{avatar_id}.svg", headers={"If-None-Match": "W/" + first.headers["etag"]})
    assert weak.status_code == 304


async def test_the_route_template_serves_the_same_drawing(client, alice, avatar_of):
    avatar_id = await avatar_of(alice)
    alias = await client.get(f"/v1/avatars/{avatar_id}.svg")
    canonical = await client.get(f"/v1/avatars/{avatar_id}/image.svg")
    assert canonical.content == alias.content


async def test_get_svg_of_an_unknown_or_malformed_id_is_a_client_error(client, assert_problem):
    assert_problem(await client.get(f"/v1/avatars/{new_id()}.svg"), 404)
    response = await client.get("/v1/avatars/not-an-id.svg")
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/problem+json"
