#include "config.h"
typedef int placeholder_mime;
