/* SPDX-License-Identifier: GPL-2.0 */
#include "../xdx_shim.h"
