#include "config.h"
typedef int placeholder_netrc;
