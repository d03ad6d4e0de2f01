/*
 * qr.c - the prescription id as a QR code: encoded by libqrencode, written as
 * an 8-bit grey PNG by libpng, drawn in a terminal with UTF-8 half blocks, and
 * read back from any PNG (libpng's simplified API converts every colour type
 * and bit depth to grey) by zbar.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>
#include <qrencode.h>
#include <zbar.h>

#include "erx.h"

#define QUIET 4                     /* modules of white around the code (ISO 18004) */
#define PNG_MAX_PIXELS (64u << 20)  /* refuse to decode larger images */

static QRcode *encode(const char *text, char *err, size_t errlen)
{
	QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);

	if (!qr)
		snprintf(err, errlen, "QR encoding failed: %s", strerror(errno));
	return qr;
}

static int dark(const QRcode *qr, int x, int y)
{
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return 0;
	return qr->data[y * qr->width + x] & 1;
}

/* The PNG into f: 0 or -1. Apart from erx_qr_png so that nothing setjmp
 * could clobber is modified after it. */
static int write_png(FILE *f, const QRcode *qr, const int scale, const int side, png_bytep row)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;

	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return -1;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -1;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)side, (png_uint_32)side, 8, PNG_COLOR_TYPE_GRAY,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < side; y++) {
		for (int x = 0; x < side; x++)
			row[x] = dark(qr, x / scale - QUIET, y / scale - QUIET) ? 0 : 255;
		png_write_row(png, row);
	}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	return 0;
}

int erx_qr_png(const char *text, const char *path, int scale, char *err, size_t errlen)
{
	QRcode *qr = encode(text, err, errlen);
	png_bytep row = NULL;
	char tmp[4200];
	FILE *f = NULL;
	int side, fd, rc = -1;

	if (!qr)
		return -1;
	if (scale < 1 || scale > 64)
		scale = 8;
	side = (qr->width + 2 * QUIET) * scale;
	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	row = malloc((size_t)side);
	if (!f || !row) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0 && !f)
			close(fd);
		goto out;
	}
	if (write_png(f, qr, scale, side, row)) {
		snprintf(err, errlen, "%s: writing the PNG failed", path);
		goto out;
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f && fclose(f) != 0 && rc == 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (rc != 0 && fd >= 0)
		unlink(tmp);
	free(row);
	QRcode_free(qr);
	return rc;
}

int erx_qr_term(const char *text, FILE *f)
{
	char err[128];
	QRcode *qr = encode(text, err, sizeof(err));
	const int q = 2;            /* a narrower quiet zone: the terminal's own margin helps */

	if (!qr)
		return -1;
	/* light modules are drawn (blocks), dark ones left blank: right on the usual
	 * dark terminal background; two rows per line with the half blocks */
	for (int y = -q; y < qr->width + q; y += 2) {
		for (int x = -q; x < qr->width + q; x++) {
			int top = !dark(qr, x, y), bottom = y + 1 < qr->width + q && !dark(qr, x, y + 1);

			fputs(top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ", f);
		}
		fputc('\n', f);
	}
	QRcode_free(qr);
	return 0;
}

char *erx_qr_read_png(const char *path, char *err, size_t errlen)
{
	png_image img;
	png_bytep buf = NULL;
	zbar_image_scanner_t *scanner = NULL;
	zbar_image_t *zimg = NULL;
	const zbar_symbol_t *sym;
	char *text = NULL;
	size_t size;
	int fd;

	/* the simplified API opens the path itself: refuse what is not a file first */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	close(fd);
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&img, path)) {
		snprintf(err, errlen, "%s: not a readable PNG image (%s)", path, img.message);
		return NULL;
	}
	if (!img.width || !img.height || (unsigned long long)img.width * img.height > PNG_MAX_PIXELS) {
		snprintf(err, errlen, "%s: image size %ux%u refused", path, img.width, img.height);
		png_image_free(&img);
		return NULL;
	}
	img.format = PNG_FORMAT_GRAY;
	size = (size_t)img.width * img.height;   /* PNG_FORMAT_GRAY: one byte a pixel */
	buf = malloc(size);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		png_image_free(&img);
		return NULL;
	}
	/* transparent pixels on white: a QR code drawn on a transparent background */
	{
		png_color white = { 255, 255, 255 };

		if (!png_image_finish_read(&img, &white, buf, 0, NULL)) {
			snprintf(err, errlen, "%s: the PNG is damaged (%s)", path, img.message);
			free(buf);
			return NULL;
		}
	}
	scanner = zbar_image_scanner_create();
	zimg = zbar_image_create();
	if (!scanner || !zimg) {
		snprintf(err, errlen, "zbar: out of memory");
		goto out;
	}
	zbar_image_scanner_set_config(scanner, 0, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	zbar_image_set_format(zimg, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(zimg, img.width, img.height);
	zbar_image_set_data(zimg, buf, size, NULL);
	if (zbar_scan_image(scanner, zimg) <= 0) {
		snprintf(err, errlen, "%s: no QR code found in the image", path);
		goto out;
	}
	for (sym = zbar_image_first_symbol(zimg); sym; sym = zbar_symbol_next(sym)) {
		if (zbar_symbol_get_type(sym) == ZBAR_QRCODE) {
			unsigned len = zbar_symbol_get_data_length(sym);
			const char *d = zbar_symbol_get_data(sym);

			text = malloc(len + 1);
			if (text) {
				memcpy(text, d, len);
				text[len] = '\0';
			}
			break;
		}
	}
	if (!text)
		snprintf(err, errlen, "%s: no QR code found in the image", path);
out:
	if (zimg)
		zbar_image_destroy(zimg);
	if (scanner)
		zbar_image_scanner_destroy(scanner);
	free(buf);
	return text;
}
