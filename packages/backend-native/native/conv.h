// Convolutions for the native backend (Conv2D and Conv3D, forward and both gradients) as im2col + GEMM per
// sample, threaded over samples. Layouts are tfjs's: x (N, D, H, W, Cin) channels-last, filter
// (kD, kH, kW, Cin, Cout), y (N, oD, oH, oW, Cout); a 2-D convolution is the D = kD = 1 case.
#pragma once
#include <cstdint>

namespace vtx {

struct ConvGeom {
  int64_t n, d, h, w, cin;        // input
  int64_t kd, kh, kw, cout;       // filter
  int64_t sd, sh, sw;             // strides
  int64_t dd, dh, dw;             // dilations
  int64_t pd, ph, pw;             // padding before (front, top, left)
  int64_t od, oh, ow;             // output
  int64_t positions() const { return od * oh * ow; }
  int64_t patch() const { return kd * kh * kw * cin; }
};

// y = conv(x, filter)
void conv_forward(const ConvGeom& g, const float* x, const float* filter, float* y);
// dx = the input gradient of y = conv(x, filter) given dy
void conv_backprop_input(const ConvGeom& g, const float* dy, const float* filter, float* dx);
// dfilter = the filter gradient given x and dy
void conv_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dfilter);

}  // namespace vtx
