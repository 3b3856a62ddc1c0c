"""Content channels (工作信息, 政协动态, 党建专栏, one 政协动态 per district): editors post items
(in chat with /post, or ``linkage channel post``), now, at a time or as drafts; edits and
withdrawals change what members received; members choose per channel — at once, in the digest, or
not — in /channels and /settings; feeds of CPPCC websites become items; read counts for editors.

The package: ``items`` (who may post, publishing, edits, withdrawals, the read button, counts),
``editor`` (/post and /posts), ``members`` (choices, the digest's part, /mydata), ``feeds``
(fetching RSS / Atom on a timer with backoff).
"""

from handlers.channels import editor, feeds, items, members
from handlers.core import roles
from handlers.core.feature import Feature
from handlers.core.i18n import N_

FEATURE = Feature(
    name="channels",
    commands={"post": editor.start_flow, "posts": editor.list_posts, "channels": members.channels_command},
    menu=[("channels", N_("Channels you follow"), None), ("post", N_("Post to a channel"), roles.is_admin),
          ("posts", N_("Channel items and their read counts"), roles.is_admin)],
    buttons={items.OPEN: items.on_open, members.CHOOSE: members.on_choose, editor.STEP: editor.on_button,
             editor.ACTION: editor.on_action},
    flows={"channel_post": editor.on_flow_text},
    jobs={"channel_publish": items.publish_job, "channel_feed": feeds.fetch_job},
    planners=[feeds.plan],
    recent=[members.recent],
    settings=[members.settings_part],
    help=[(None, N_("/channels — the channels you follow (工作信息、政协动态、党建专栏), at once or in the digest"))],
    personal_data=members.personal_data,
)
