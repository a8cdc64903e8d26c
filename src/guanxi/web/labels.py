"""Values shown translated that come from data, not from a template: roles, channels, kinds.

Listed here with N_() so that `pybabel extract` puts them in the catalogue; templates show
them with `_(value)`.
"""

from guanxi.web.i18n import N_

ROLES = [N_("admin"), N_("operations"), N_("service"), N_("content"), N_("analyst"), N_("tech"), N_("member")]
CHANNELS = [N_("email"), N_("sms"), N_("wechat"), N_("push"), N_("any"), N_("site"), N_("douyin"), N_("weibo"),
            N_("shopify"), N_("taobao"), N_("store"), N_("import"), N_("api"), N_("customers"), N_("orders")]
PURPOSES = [N_("marketing"), N_("service"), N_("analytics"), N_("personalisation"), N_("sharing")]
IDENTITY_KINDS = [N_("phone"), N_("wechat_openid"), N_("wechat_unionid"), N_("douyin_id"), N_("weibo_id"),
                  N_("shopify_id"), N_("external")]
STATUSES = [N_("active"), N_("merged"), N_("erased"), N_("female"), N_("male"), N_("other"), N_("unknown")]
TIMELINE_KINDS = [N_("order"), N_("refund"), N_("note"), N_("shipment"), N_("page_view"), N_("product_view"),
                  N_("add_to_cart"), N_("checkout_started"), N_("review"), N_("share"), N_("live_watch"),
                  N_("coupon_use"), N_("sign_up"), N_("sign_in"), N_("search"), N_("wishlist"), N_("custom")]
AUDIT_KINDS = [N_("api_write"), N_("pii_viewed"), N_("pii_exported"), N_("customer_erased"), N_("signed_in"),
               N_("sign_in_failed"), N_("token_created"), N_("token_revoked"), N_("user_created"),
               N_("user_disabled"), N_("keys_rotated"), N_("erasure_requested")]
