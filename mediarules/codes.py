"""The registry of violation codes: one place that says what each code means.

Codes are a public contract: stable, dotted, never renamed. Each has a default severity and an
explanation (what it means, why the platform cares, how to fix it) that ``mediarules explain``
prints.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediarules.limits import LIMITS
from mediarules.models import Severity

__all__ = ["CODES", "Code", "explain"]

E, W, NOTE = Severity.ERROR, Severity.WARNING, Severity.INFO


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    what: str
    why: str
    fix: str


def _codes(*entries: tuple[str, Severity, str, str, str]) -> dict[str, Code]:
    return {
        code: Code(code, severity, what, why, fix) for code, severity, what, why, fix in entries
    }


# fmt: off
CODES: dict[str, Code] = _codes(
    # -- post ------------------------------------------------------------------------------
    ("post.media_required", E, "The platform does not publish a post without media.",
     "Instagram has no text-only posts: the API needs an image or a video.",
     "Attach an image or a video, or leave this platform out of the post. (manual)"),
    ("post.video_required", E, "The platform only publishes video.",
     "TikTok and YouTube posts are videos; a post without one is rejected.",
     "Attach a video, or leave this platform out. (manual)"),
    ("post.images_not_allowed", E, "The platform does not take images in this post.",
     "Video-only platforms (TikTok, YouTube) reject image attachments.",
     "Drop the image from the post for this platform. (unsafe: drops media)"),
    ("post.too_many_images", E, "More images than the platform takes in one post.",
     "The API rejects the post, e.g. X takes at most 4 photos.",
     "Drop the extra images, or split the post. (unsafe: drops media)"),
    ("post.too_many_animations", E, "More animated images (GIFs) than the platform takes.",
     "X takes one animated GIF per post, alone.",
     "Keep one animation, or post the others separately. (unsafe: drops media)"),
    ("post.too_many_videos", E, "More videos than the platform takes in one post.",
     "Most platforms publish one video per post.",
     "Keep one video, or split the post. (unsafe: drops media)"),
    ("post.too_many_items", E, "More media items than the platform takes in one post.",
     "Carousels and media groups have a maximum size (Instagram 10, Telegram 10, Mastodon 4).",
     "Drop the extra items, or split the post. (unsafe: drops media)"),
    ("post.over_recommended_items", W,
     "More media items than clients show, though the platform takes them.",
     "Bluesky's gallery lexicon takes 20 items and asks clients to keep to 10: readers on "
     "other clients may not see the rest.",
     "Split the post so each holds at most that many items. (unsafe: drops the one-post "
     "layout)"),
    ("post.poll_with_media", E, "The post has a poll and media; the platform takes one.",
     "Mastodon refuses media on a status with a poll (PostStatusService#validate_media!); "
     "X and LinkedIn keep polls apart from media too.",
     "Publish the media in a post of its own, or leave the poll out. (manual)"),
    ("post.too_few_items", E, "Fewer media items than the platform needs.",
     "Some post types need a minimum number of items.",
     "Add media. (manual)"),
    ("post.mixed_media_not_allowed", E, "The post mixes kinds of media the platform keeps apart.",
     "X, LinkedIn, Facebook, Bluesky and Mastodon take photos or one video, never both.",
     "Split the post into one with the images and one with the video. (manual)"),
    ("post.scheduled_before_upload", W,
     "The post is scheduled before its media finished uploading.",
     "The scheduler may publish before the upload completes: a failed post or missing media.",
     "Create the post as a draft, upload media, then schedule. (manual)"),
    # -- text ------------------------------------------------------------------------------
    ("caption.too_long", E, "The caption is longer than the platform allows.",
     "Platforms reject (or silently cut) text past their limit; each counts differently: "
     "X weighs CJK and emoji double, Bluesky counts graphemes and bytes, Telegram UTF-16 units.",
     "Shorten the caption. (unsafe: truncates text)"),
    ("caption.too_many_hashtags", E, "More hashtags than the platform allows.",
     "Instagram rejects captions with more than 30 hashtags.",
     "Remove some hashtags. (manual)"),
    ("caption.too_many_mentions", E, "More @mentions than the platform allows.",
     "Instagram rejects captions with more than 20 @tags.",
     "Remove some mentions. (manual)"),
    ("caption.too_many_links", E, "More links than the platform allows.",
     "Threads rejects posts with more than 5 unique links.",
     "Remove some links. (manual)"),
    ("caption.invalid_characters", E, "The caption holds characters the platform refuses.",
     "YouTube descriptions may not contain < or >.",
     "Remove the characters. (unsafe: changes text)"),
    ("caption.missing", E, "The platform needs text and the post has none.",
     "A rules file can require a caption (e.g. for a house style); posts without one fail it.",
     "Write a caption. (manual)"),
    ("title.missing", E, "The platform needs a title and the post has none.",
     "A YouTube upload without snippet.title is rejected.",
     "Write a title. (manual)"),
    ("title.too_long", E, "The title is longer than the platform allows.",
     "YouTube titles stop at 100 characters.",
     "Shorten the title. (unsafe: truncates text)"),
    ("title.invalid_characters", E, "The title holds characters the platform refuses.",
     "YouTube titles may not contain < or >.",
     "Remove the characters. (unsafe: changes text)"),
    ("tags.too_long", E, "The tags together are longer than the platform allows.",
     "YouTube takes 500 characters of tags in all, counting the comma between two tags and "
     "the quotes around a tag with a space (snippet.tags).",
     "Drop or shorten tags. (manual)"),
    # -- media -----------------------------------------------------------------------------
    ("media.unreadable", E, "The file cannot be read as an image or a video.",
     "A corrupt, truncated or unknown file fails at upload or at publish on every platform.",
     "Export the file again from its source. (manual)"),
    ("media.unreachable", E, "The file's URL could not be reached.",
     "A DNS failure, a refused connection, a timeout or a TLS error: the platform fetching "
     "it at publish time may fail the same way.",
     "Check the URL and the host, then check again. (manual)"),
    ("media.not_found", E, "The file's URL answers 403 or 404: no file there for us.",
     "A deleted object, a wrong key, a private bucket, or a pre-signed URL that has expired: "
     "the platform cannot fetch it either.",
     "Upload the file again, or sign a new URL. (manual)"),
    ("media.fetch_refused", E, "The URL was not fetched: its scheme or host is not allowed.",
     "Only http, https and s3 are read, never hosts on loopback, private, link-local or "
     "cloud-metadata addresses (server-side request forgery).",
     "Use a public URL, or allow the host with --allow-host / allow_hosts=. (manual)"),
    ("media.metadata_invalid", E, "Declared metadata holds values that cannot be true.",
     "A size, width or height of 0 or less, a frame rate of 0 or less or a negative duration "
     "is no file's: the record is broken, and the item is checked without those values.",
     "Correct the stored metadata (or check the file itself). (manual)"),
    ("media.empty", E, "The file is empty (0 bytes).",
     "An empty upload fails on every platform.",
     "Export the file again. (manual)"),
    ("media.too_large", E, "The file is bigger than the platform accepts.",
     "Uploads over the size limit are refused.",
     "Re-encode smaller (lower quality or resolution). (unsafe: loses quality)"),
    ("media.too_small", E, "The file is smaller than the platform accepts.",
     "LinkedIn refuses videos under 75 KB.",
     "Use a longer or higher-quality source. (manual)"),
    ("media.format_mismatch", W, "The file name or declared type disagrees with the bytes.",
     "Uploads are labelled by extension or contentType; a PNG sent as image/jpeg can be "
     "refused or mis-processed.",
     "Rename the file (or fix contentType) to match its real format. (safe: fix writes a "
     "copy under the new name)"),
    ("media.type_missing", E, "The upload request has no `type` (image or video).",
     "Without `type` the scheduler's S3 upload fails (PutObjectCommand) and no key prefix is set.",
     "Send type: \"image\" or \"video\". (safe)"),
    ("media.content_type_invalid", E, "The declared contentType is not an image or video type.",
     "The upload API accepts any string, but the publisher and platforms need image/* or video/*.",
     "Send the MIME type of the real format, e.g. image/jpeg or video/mp4. (safe)"),
    ("media.filename_changed", NOTE, "The scheduler will rename the file on upload.",
     "The upload API trims whitespace, turns spaces into underscores and drops special characters.",
     "Rename the file yourself so links and records match. (safe)"),
    ("media.alt_text_missing", W, "The media has no alt text.",
     "Alt text is how blind and low-vision people see the image; Bluesky's embed requires it.",
     "Write alt text that describes the image. (manual)"),
    ("media.alt_text_too_long", E, "The alt text is longer than the platform allows.",
     "The API rejects descriptions past its limit (X 1000, Mastodon 1500).",
     "Shorten the alt text. (unsafe: truncates text)"),
    # -- image -----------------------------------------------------------------------------
    ("image.format_not_allowed", E, "The platform does not take this image format.",
     "Instagram takes JPEG only; TikTok photos no PNG; unsupported formats are refused.",
     "Convert the image to an accepted format. (safe, or unsafe when it drops "
     "transparency or animation)"),
    ("image.format_converted", W, "The publisher converts this format before posting.",
     "WebP is converted to JPEG for LinkedIn, Telegram, Bluesky and Threads: "
     "transparency and animation are lost and quality may drop.",
     "Convert it yourself to control the result. (safe, or unsafe when it drops "
     "transparency or animation)"),
    ("image.format_not_preferred", NOTE, "The platform prefers another image format.",
     "X keeps PNG quality better than JPEG, which it recompresses.",
     "Convert to the preferred format. (safe; offered only when the new file is predicted "
     "to stay within the platform's size limit, else no automatic fix)"),
    ("image.too_small", E, "The image is smaller than the platform's minimum dimensions.",
     "Images under the minimum are refused.",
     "Upscale the image. (unsafe: loses sharpness)"),
    ("image.too_large", E, "The image is bigger than the platform's maximum dimensions.",
     "Images over the maximum are refused.",
     "Downscale the image. (unsafe: loses resolution)"),
    ("image.too_many_pixels", E, "The image has more pixels (width x height) than allowed.",
     "LinkedIn refuses 36,152,320 pixels or more; Mastodon 33,177,600.",
     "Downscale the image. (unsafe: loses resolution)"),
    ("image.aspect_ratio_out_of_range", E, "The image's shape is outside the platform's range.",
     "Instagram takes 4:5 to 1.91:1; other shapes are refused.",
     "Pad or crop the image to a ratio in range. (unsafe: changes framing)"),
    ("image.too_many_frames", E, "The animation has more frames than allowed.",
     "LinkedIn takes GIFs of up to 250 frames.",
     "Drop frames from the animation. (unsafe: loses frames)"),
    ("image.resized", W, "The platform will scale this image.",
     "Instagram and Threads scale widths outside 320-1440 px; scaling yourself controls quality.",
     "Resize to a width in range. (unsafe: loses resolution, or sharpness when scaled up)"),
    # -- video / audio ---------------------------------------------------------------------
    ("video.container_not_allowed", E, "The platform does not take this video container.",
     "TikTok and YouTube (through this publisher) take MP4 only.",
     "Remux into an accepted container (safe when the codecs fit), else transcode (unsafe)."),
    ("video.codec_not_allowed", E, "The platform does not take this video codec.",
     "Platforms decode a fixed set of codecs (X: H.264 only).",
     "Transcode the video track. (unsafe: re-encodes)"),
    ("audio.codec_not_allowed", E, "The platform does not take this audio codec.",
     "Most platforms want AAC audio.",
     "Transcode the audio track to AAC. (unsafe: re-encodes audio)"),
    ("video.fps_too_low", E, "The frame rate is below the platform's minimum.",
     "TikTok, Instagram and Threads refuse video under 23 fps.",
     "Re-encode at a standard rate in range, e.g. 24 fps. (unsafe: re-encodes)"),
    ("video.fps_too_high", E, "The frame rate is above the platform's maximum.",
     "X, TikTok, Instagram and Threads refuse video over 60 fps.",
     "Re-encode at a lower rate, e.g. 60 or 30 fps. (unsafe: re-encodes, drops frames)"),
    ("video.variable_frame_rate", E, "The video has a variable frame rate.",
     "Platforms that need a fixed frame rate refuse or stutter on VFR video (phone recordings).",
     "Re-encode at a constant frame rate. (unsafe: re-encodes)"),
    ("video.duration_too_short", E, "The video is shorter than the platform's minimum.",
     "Instagram Reels need 3 s; LinkedIn 3 s; X 0.5 s.",
     "Use a longer clip. (manual)"),
    ("video.duration_too_long", E, "The video is longer than the platform's maximum.",
     "Each platform caps duration (TikTok 10 min through the API, Threads 5 min).",
     "Trim the video. (unsafe: cuts the end)"),
    ("video.too_small", E, "The video frame is smaller than the platform's minimum.",
     "TikTok needs at least 360 px on each side.",
     "Upscale the video. (unsafe: re-encodes)"),
    ("video.too_large", E, "The video frame is bigger than the platform's maximum.",
     "Instagram and Threads take at most 1920 columns; Mastodon 8,294,400 px.",
     "Downscale the video. (unsafe: re-encodes, loses resolution)"),
    ("video.aspect_ratio_out_of_range", E, "The video's shape is outside the platform's range.",
     "X takes 1:3 to 3:1; LinkedIn 1:2.4 to 2.4:1.",
     "Pad the video to a ratio in range. (unsafe: re-encodes, changes framing)"),
    ("video.bitrate_too_high", E, "The bit rate is above the platform's maximum.",
     "Instagram Reels take at most 25 Mbps.",
     "Re-encode at a lower bit rate. (unsafe: loses quality)"),
    # -- account ---------------------------------------------------------------------------
    ("account.business_required", E, "Only some account types can publish through the API.",
     "Instagram's publishing API serves professional accounts only: business or creator.",
     "Switch the account to one of the account types named. (manual)"),
)
# fmt: on
CODES.update(
    (kind.code, Code(kind.code, kind.severity, kind.what, kind.why, kind.fix)) for kind in LIMITS
)  # the registry's limit kinds explain their own codes


def explain(code: str) -> str:
    """The text ``mediarules explain CODE`` prints; KeyError for an unknown code."""
    entry = CODES[code]
    return (
        f"{entry.code} ({entry.severity.value})\n\n"
        f"What: {entry.what}\nWhy:  {entry.why}\nFix:  {entry.fix}\n"
    )
